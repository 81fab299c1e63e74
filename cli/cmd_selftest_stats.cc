// `perfkit selftest-stats`: the gate's false-alarm and detection rates on
// synthetic suites, so its statistics are checked in numbers, not trust.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/exit_status.h"
#include "app/gate.h"
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
  std::vector<double> cv_percent;  // default per design
  bool sequential = false;
  std::string mode = "paired";
  int base_repetitions = 10;
  int max_repetitions = app::SequentialPlan().max_repetitions;
  std::vector<std::string> noises = {"log-normal", "heavy-tailed", "drifting"};
};

std::string Percent(double rate) { return fmt::format("{:.1f}%", rate * 100); }

void PrintDesign(const std::string& lead, const char* design, const app::DesignRates& r) {
  std::string caught;
  for (double d : r.detection_rates) caught += fmt::format("{:>7}", Percent(d));
  fmt::print("{:<19} {:<11} {:>7} {:>10} {:>5.0f} {:>6.1f}  {}\n", lead, design,
             Percent(r.false_alarm_rate), Percent(r.no_change_rate), r.median_repetitions,
             r.mean_repetitions, caught);
}

// The targets are read at CV 5% (1% for the repetitions) on log-normal noise.
int RunSequential(const SelftestOptions& o) {
  const bool paired = o.mode == "paired";
  fmt::print(
      "{} synthetic suites per row, {} benchmarks, 5% threshold, alpha 0.05; sequential: {}, "
      "first block 5, at most {} repetitions a side; fixed: {} repetitions a side\n\n",
      o.suites, o.benchmarks,
      paired ? "old/new rounds (ab --rounds auto)"
             : fmt::format("a stored base of {} repetitions (bench --until-decided)",
                           o.base_repetitions),
      o.max_repetitions, o.repetitions);
  fmt::print("{:<19} {:<11} {:>7} {:>10} {:>12}  {}\n", "noise, CV", "design", "false", "NO CHANGE",
             "repetitions", "a slowdown caught (REGRESSION)");
  fmt::print("{:<19} {:<11} {:>7} {:>10} {:>5} {:>6}  {:>7}{:>7}{:>7}{:>7}\n", "", "", "alarms",
             "(A/A)", "median", "mean", "3%", "5%", "10%", "20%");
  bool goals = true;
  std::vector<std::string> missed;
  const std::vector<double> cvs =
      o.cv_percent.empty() ? std::vector<double>{1, 2, 3, 5, 10} : o.cv_percent;
  for (const std::string& name : o.noises) {
    const app::Noise noise = name == "heavy-tailed" ? app::Noise::kHeavy
                             : name == "drifting"   ? app::Noise::kDrifting
                                                    : app::Noise::kLogNormal;
    for (double cv_percent : cvs) {
      app::SequentialSimulation sim;
      sim.cv = cv_percent / 100;
      sim.noise = noise;
      sim.suites = o.suites;
      sim.benchmarks = o.benchmarks;
      sim.paired = paired;
      sim.base_repetitions = o.base_repetitions;
      sim.max_repetitions = o.max_repetitions;
      sim.fixed_repetitions = o.repetitions;
      sim.seed = o.seed;
      const auto r = app::SimulateSequential(sim);
      const std::string lead = fmt::format("{} {:.0f}%", app::NoiseName(noise), cv_percent);
      PrintDesign(lead, "sequential", r.sequential);
      PrintDesign("", fmt::format("fixed-{}", o.repetitions).c_str(), r.fixed);
      if (!paired) continue;  // the targets are the paired design's
      auto check = [&](bool ok, const std::string& what) {
        if (!ok) missed.push_back(fmt::format("{} ({})", what, lead));
        goals &= ok;
      };
      check(r.sequential.false_alarm_rate <= 0.05, "false alarms <= 5%");
      check(r.sequential.detection_rates[0] <= 0.05, "a 3% slowdown flagged in <= 5%");
      if (noise != app::Noise::kLogNormal) continue;
      if (cv_percent == 5) {
        check(r.sequential.no_change_rate >= 0.90, "NO CHANGE >= 90% on A/A");
        check(r.sequential.detection_rates[2] >= 0.95, "a 10% slowdown caught >= 95%");
        check(r.sequential.median_repetitions <= 2 * r.fixed.median_repetitions,
              "median repetitions <= 2x fixed");
      }
      if (cv_percent == 1) check(r.sequential.median_repetitions < 10, "median repetitions < 10");
    }
  }
  if (!paired) {
    fmt::print(
        "\nno goals for a stored base: its own repetitions bound what can be decided, and it "
        "cannot tell a regression from neighbours who came since it was measured (drifting "
        "rows); ab --rounds auto can\n");
    return app::kExitSuccess;
  }
  fmt::print(
      "\ngoals (any noise: false alarms <= 5%, a 3% slowdown flagged in <= 5%; log-normal CV 5%: "
      "NO CHANGE >= 90% on A/A, a 10% slowdown caught >= 95%, median repetitions <= 2x fixed; "
      "CV 1%: median < 10): {}\n",
      goals ? "met" : "NOT met");
  for (const auto& m : missed) fmt::print("  missed: {}\n", m);
  return goals ? app::kExitSuccess : app::kExitRegression;
}

int RunSelftestStats(const SelftestOptions& o) {
  if (o.sequential) return RunSequential(o);
  fmt::print(
      "{} synthetic suites per row, {} benchmarks, {} repetitions per side, log-normal "
      "noise, 5% threshold, alpha 0.05\n\n",
      o.suites, o.benchmarks, o.repetitions);
  fmt::print("{:>5}  {:>22}  {:>28}  {:>22}\n", "CV", "false alarms (A/A)",
             fmt::format("detects a {:.0f}% slowdown", o.slowdown_percent), "other alarms then");
  bool goals = true;
  for (double cv_percent : o.cv_percent.empty() ? std::vector<double>{2, 3, 5, 10} : o.cv_percent) {
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
                  "Noise levels in percent (repeatable; default 2 3 5 10, sequential 1 2 3 5 10)")
      ->check(FiniteRange(0, 1000))
      ->allow_extra_args(false);
  cmd->add_flag("--sequential", opts->sequential,
                "Simulate the sequential gate (ab --rounds auto, bench --until-decided) beside "
                "the fixed design, on log-normal, heavy-tailed and drifting noise");
  cmd->add_option("--mode", opts->mode,
                  "Sequential design: paired (old/new rounds, default) or stored (a fixed base)")
      ->check(CLI::IsMember({"paired", "stored"}));
  cmd->add_option("--base-repetitions", opts->base_repetitions,
                  "Repetitions in the stored base (--mode stored; default 10)")
      ->check(CLI::Range(2, 1000));
  cmd->add_option("--max-repetitions", opts->max_repetitions,
                  fmt::format("The sequential gate's budget, repetitions a side (default {}, as "
                              "the gate's)",
                              opts->max_repetitions))
      ->check(CLI::Range(5, 10000));
  cmd->add_option("--noise", opts->noises,
                  "log-normal, heavy-tailed, drifting (repeatable; default all)")
      ->check(CLI::IsMember({"log-normal", "heavy-tailed", "drifting"}))
      ->allow_extra_args(false);
  return [opts] { return RunSelftestStats(*opts); };
}

}  // namespace perfkit::cli
