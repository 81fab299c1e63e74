// Google Benchmark's JSON schema, both ways: perfkit's export is read by
// Google Benchmark's tools/compare.py, and any Google Benchmark output can be
// imported (NaN and Infinity tokens tolerated, unknown fields ignored).
#pragma once

#include <string>

#include "results/result.h"
#include "subsystems/base/status.h"

namespace perfkit::report {

// Context, then every repetition as run_type "iteration" followed by the
// mean/median/stddev/cv aggregates of each benchmark.
std::string ToGbenchJson(const RunRecord& run);

// `origin` names the input in error messages ("FILE at line 3, column 7").
// The returned run keeps the document in raw_json; source is "import".
Result<RunRecord> FromGbenchJson(const std::string& text, const std::string& origin);

}  // namespace perfkit::report
