// Formats other tools read: Bencher's BMF JSON, github-action-benchmark's
// customSmallerIsBetter JSON, and CSV with one row per repetition.
#pragma once

#include <string>
#include <vector>

#include "results/result.h"

namespace perfkit::report {

// {"name": {"latency": {"value", "lower_value", "upper_value"}}} in ns, with a
// "throughput" measure (bytes/s) where the benchmark reports one.
std::string ToBencherJson(const RunRecord& run);

// [{"name", "unit": "ns", "value", "range": "± stddev"}]: median real time.
std::string ToGithubActionJson(const RunRecord& run);

// One row per repetition of every run given, labelled with `labels[i]`
// ("base", "candidate", or the run id); counters become columns.
std::string ToRepetitionCsv(const std::vector<const RunRecord*>& runs,
                            const std::vector<std::string>& labels);

// RFC 4180 quoting where needed.
std::string CsvField(const std::string& s);

// One row per claim of the run: id, suite, value, unit, target, status,
// reason, benchmarks (joined by ' '), text.
std::string ToClaimsCsv(const RunRecord& run);

}  // namespace perfkit::report
