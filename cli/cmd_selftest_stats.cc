// `perfkit selftest-stats`: the gate's false-alarm and detection rates on
// synthetic suites, so its statistics are checked in numbers, not trust.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/exit_status.h"
#include "app/views.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

struct SelftestOptions {
  int suites = 1000;
  int benchmarks = 50;
  int repetitions = 10;
  double slowdown_percent = 10;
  uint64_t seed = 1;
  std::vector<double> cv_percent = {2, 3, 5, 10};
};

int RunSelftestStats(const SelftestOptions& o) {
  fmt::print(
      "{} synthetic suites per row, {} benchmarks, {} repetitions per side, log-normal "
      "noise, 5% threshold, alpha 0.05\n\n",
      o.suites, o.benchmarks, o.repetitions);
  fmt::print("{:>5}  {:>22}  {:>28}  {:>22}\n", "CV", "false alarms (A/A)",
             fmt::format("detects a {:.0f}% slowdown", o.slowdown_percent), "other alarms then");
  bool goals = true;
  for (double cv_percent : o.cv_percent) {
    const double cv = cv_percent / 100;
    app::GateSimulation sim;
    sim.cv = cv;
    sim.suites = o.suites;
    sim.benchmarks = o.benchmarks;
    sim.repetitions = o.repetitions;
    sim.slowdown = o.slowdown_percent / 100;
    sim.seed = o.seed;
    const auto r = app::SimulateGate(sim);
    fmt::print("{:>4.0f}%  {:>21.2f}%  {:>27.1f}%  {:>21.2f}%\n", cv * 100,
               r.false_alarm_rate * 100, r.detection_rate * 100, r.other_alarms_rate * 100);
    goals &= r.false_alarm_rate <= 0.05;
    if (cv_percent == 3) goals &= r.detection_rate >= 0.95;
  }
  fmt::print("\ngoals (false alarms <= 5% of suites; >= 95% detection at CV 3%): {}\n",
             goals ? "met" : "NOT met");
  return goals ? app::kExitSuccess : app::kExitRegression;
}

Runner AddSelftestStats(CLI::App& app) {
  auto opts = std::make_shared<SelftestOptions>();
  CLI::App* cmd = app.add_subcommand("selftest-stats",
                                     "Simulate the compare gate: false-alarm and detection rates");
  cmd->add_option("--suites", opts->suites, "Synthetic suites per noise level")
      ->check(CLI::Range(10, 1000000));
  cmd->add_option("--benchmarks", opts->benchmarks, "Benchmarks per suite")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--repetitions", opts->repetitions, "Repetitions per side")
      ->check(CLI::Range(2, 200));
  cmd->add_option("--slowdown", opts->slowdown_percent, "True slowdown to detect, in percent")
      ->check(FiniteRange(0, 1000));
  cmd->add_option("--seed", opts->seed, "Random seed");
  cmd->add_option("--cv", opts->cv_percent,
                  "Noise levels in percent (repeatable; default 2 3 5 10)")
      ->check(FiniteRange(0, 1000))
      ->allow_extra_args(false);
  return [opts] { return RunSelftestStats(*opts); };
}

}  // namespace perfkit::cli
