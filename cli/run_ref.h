// What BASE and CANDIDATE may name: a Google Benchmark JSON file, a
// baseline (its newest save), a run id or uuid prefix, or "latest".
#pragma once

#include <memory>
#include <string>

#include "baselines/store.h"
#include "subsystems/base/status.h"
#include "suites/result.h"

namespace perfkit::cli {

bool IsFileRef(const std::string& ref);

// `store` may be null when every reference is a file.
Result<RunRecord> ResolveRun(store::Store* store, const std::string& ref);

}  // namespace perfkit::cli
