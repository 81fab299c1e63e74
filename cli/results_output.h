// Prints a run's results table, the ours-vs-best-peer summary and the
// counters table for people.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "suites/result.h"

namespace perfkit::cli {

void PrintResultsTable(const RunRecord& run, std::FILE* out);

// `bench --counters`: each counter that cannot count here on its own line,
// then the median per iteration of every counter that can, per benchmark.
void PrintCountersTable(const RunRecord& run, const std::vector<std::string>& requested,
                        const std::vector<std::string>& unsupported, std::FILE* out);

}  // namespace perfkit::cli
