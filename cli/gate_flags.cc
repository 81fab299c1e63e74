#include "cli/gate_flags.h"

#include <fmt/format.h>

#include "cli/common.h"

namespace perfkit::cli {

void AddGateFlags(CLI::App* cmd, app::GateFlags* flags, GateUse use) {
  cmd->add_option("--threshold", flags->thresholds,
                  "Smallest change that counts, default 5%; 'GLOB=2%' overrides (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--metric", flags->metric, "real_time (default), cpu_time or a counter");
  if (use != GateUse::kCalibration) {
    cmd->add_option("--alpha", flags->alpha, "False discovery rate and 1 - CI level (default 0.05)")
        ->check(FiniteRange(0.0001, 0.5));
  }
  if (use == GateUse::kRuns) {
    cmd->add_option("--claims", flags->claims,
                    "report (default) or gate: whether a claim the base met and the candidate "
                    "does not fails the gate (exit 1)")
        ->check(CLI::IsMember({"report", "gate"}));
    cmd->add_flag("--allow-env-mismatch", flags->allow_env_mismatch,
                  "Compare runs from different environments (with a warning)");
    cmd->add_flag("!--no-noise", flags->use_noise, "Ignore calibrated noise floors");
  }
  if (use != GateUse::kCalibration) {
    cmd->add_option("--inconclusive", flags->inconclusive,
                    "pass (default) or fail: whether benchmarks the gate could not decide fail "
                    "it (exit 4)")
        ->check(CLI::IsMember({"pass", "fail"}));
  }
  if (use != GateUse::kPaired) {
    cmd->add_option("--noise-k", flags->noise_k,
                    "Gate at max(threshold, K x calibrated noise), default 2")
        ->check(FiniteRange(0.01, 100));
  }
}

std::vector<CLI::Option*> AddBudgetFlags(CLI::App* cmd, app::GateFlags* flags) {
  return {cmd->add_option("--budget", flags->budget,
                          "Time the sequential gate may measure: 90s, 10m (default), 1h"),
          cmd->add_option("--max-repetitions", flags->max_repetitions,
                          fmt::format("Most repetitions (rounds) any benchmark gets from the "
                                      "sequential gate (default {})",
                                      app::SequentialPlan().max_repetitions))};
}

}  // namespace perfkit::cli
