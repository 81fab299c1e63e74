// The measuring flags that bench, calibrate and profile --suite share,
// declared once; app::MakeBenchRequest checks them.
#pragma once

#include <CLI/CLI.hpp>
#include <vector>

#include "app/bench_request.h"

namespace perfkit::cli {

struct MeasureFlagOptions {
  CLI::Option* suite;
  std::vector<CLI::Option*> others;  // for `needs(suite)` where --suite is optional
};

// --suite, --filter, --repetitions, --min-time, --quick, --db.
MeasureFlagOptions AddMeasureFlags(CLI::App* cmd, app::BenchFlags* flags);

}  // namespace perfkit::cli
