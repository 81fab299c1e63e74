// Prints for people: a run's results table with the ours-vs-best-peer
// summary, the counters table, and the gate's verdicts.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "app/gate.h"
#include "app/views.h"

namespace perfkit::cli {

void PrintResultsTable(const RunRecord& run, std::FILE* out);

// The run's claims, one line each.
void PrintClaims(const RunRecord& run, std::FILE* out);

// The engines the machine cannot run, with why, on stderr.
void PrintSkipped(const std::vector<std::string>& skipped);

// `bench --counters`: each counter that cannot count here on its own line,
// then the median per iteration of every counter that can, per benchmark.
void PrintCountersTable(const RunRecord& run, const std::vector<std::string>& requested,
                        const std::vector<std::string>& unsupported, std::FILE* out);

// The gate's warnings on stderr, then the comparison on stdout as a table,
// markdown or JSON.
void PrintGateResult(const app::GateResult& result, const std::string& format);

}  // namespace perfkit::cli
