// What a run reference names (BASE and CANDIDATE of compare, RUN of report):
// a Google Benchmark JSON file, a baseline (its newest save), a run id or
// uuid prefix, or "latest".
#pragma once

#include <string>

#include "baselines/store.h"
#include "results/result.h"
#include "subsystems/base/status.h"

namespace perfkit::app {

bool IsFileRef(const std::string& ref);

// `store` may be null when every reference is a file. With `same_host` (a
// host fingerprint), a baseline means its newest save made on that host.
Result<RunRecord> ResolveRun(store::Store* store, const std::string& ref,
                             const std::string& same_host = "");

// A Google Benchmark JSON file as a new, not yet stored run.
Result<RunRecord> LoadGbenchFile(const std::string& file);

}  // namespace perfkit::app
