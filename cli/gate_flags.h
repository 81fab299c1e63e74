// The gate's flags, declared once for every subcommand that judges results
// (compare, ab, report, calibrate); app::MakeGateRequest parses them.
#pragma once

#include <CLI/CLI.hpp>
#include <vector>

#include "app/gate.h"

namespace perfkit::cli {

enum class GateUse {
  kRuns,         // compare, report: thresholds, metric, alpha, environment guard, noise floors
  kPaired,       // ab: thresholds, metric, alpha
  kCalibration,  // calibrate: thresholds and metric the floors are judged for, noise factor
};

void AddGateFlags(CLI::App* cmd, app::GateFlags* flags, GateUse use);

// The sequential gate's budget: --budget and --max-repetitions (returned,
// for commands that refuse them without the sequential gate).
std::vector<CLI::Option*> AddBudgetFlags(CLI::App* cmd, app::GateFlags* flags);

}  // namespace perfkit::cli
