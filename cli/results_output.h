// Prints a run's results table and the ours-vs-best-peer summary for people.
#pragma once

#include <cstdio>

#include "suites/result.h"

namespace perfkit::cli {

void PrintResultsTable(const RunRecord& run, std::FILE* out);

}  // namespace perfkit::cli
