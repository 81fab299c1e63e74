// `perfkit calibrate`: run the same build several times (A/A) and store each
// benchmark's noise floor, so `compare` knows which gates it cannot trust.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>

#include "cli/cmd_bench.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/exit_status.h"
#include "report/paired.h"

namespace perfkit::cli {

struct CalibrateOptions {
  BenchOptions bench;
  int runs = 5;
  std::string metric = "real_time";
  double threshold_percent = 5;
  double noise_k = 2.0;
};

namespace {

void PrintFloors(const std::map<std::string, double>& floors, const CalibrateOptions& o) {
  size_t width = 9;
  for (const auto& [name, noise] : floors) width = std::max(width, name.size());
  fmt::print("{:<{}}  {:>8}  {:>14}\n", "benchmark", width, "noise", "gate needs");
  int flagged = 0;
  for (const auto& [name, noise] : floors) {
    const double gate = std::expm1(o.noise_k * noise) * 100;
    const bool above = gate > o.threshold_percent;
    flagged += above;
    fmt::print("{:<{}}  {:>7.2f}%  {:>13.1f}%{}\n", name, width, std::expm1(noise) * 100, gate,
               above ? fmt::format("  (a {:.0f}% gate is below the noise)", o.threshold_percent)
                     : "");
  }
  fmt::print("\n{} of {} benchmarks are too noisy for a {:.0f}% gate; compare will judge them at "
             "{:.0f} x their noise\n",
             flagged, floors.size(), o.threshold_percent, o.noise_k);
}

}  // namespace

int RunCalibrate(const CalibrateOptions& o) {
  const harness::RunOptions run_options = ToRunOptions(o.bench);
  auto selection = harness::Select(run_options);
  if (!selection.ok()) return Fail(kExitUsage, selection.error());
  auto store = OpenStore(o.bench.db);
  if (!store.ok()) return Fail(kExitFailure, store.error());
  const std::string session = NewUuid().substr(0, 8);
  std::vector<RunRecord> runs;
  for (int i = 0; i < o.runs; ++i) {
    fmt::print(stderr, "calibration run {}/{}\n", i + 1, o.runs);
    auto measured = MeasureIntoStore(**store, *selection, run_options, {{"calibration", session}});
    if (!measured.ok()) return Fail(kExitFailure, measured.error());
    if (measured->interrupted) {
      return Fail(kExitInterrupted, "interrupted: no noise floors saved");
    }
    runs.push_back(std::move(measured->run));
  }
  const auto floors = report::NoiseFloors(runs, o.metric);
  if (Status s = (*store)->SaveNoiseFloors(runs.front().host.fingerprint, o.metric, floors,
                                           o.runs, NowIso8601());
      !s.ok()) {
    return Fail(kExitFailure, s.message());
  }
  PrintFloors(floors, o);
  fmt::print(stderr, "saved noise floors of {} benchmarks for host {} ({} runs tagged calibration={})\n",
             floors.size(), runs.front().host.fingerprint, o.runs, session);
  return kExitSuccess;
}

Runner AddCalibrate(CLI::App& app) {
  auto opts = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Run one build N times (A/A) and store each benchmark's noise floor");
  cmd->add_option("--suite", opts->bench.suites, "Suite (repeatable)")->allow_extra_args(false);
  cmd->add_option("--filter", opts->bench.filter, "Only benchmarks matching this regex");
  cmd->add_option("--runs", opts->runs, "How many runs (default 5)")->check(CLI::Range(2, 100));
  auto* reps = cmd->add_option("--repetitions", opts->bench.repetitions, "Repetitions per run")
                   ->check(CLI::Range(1, 1000));
  auto* min_time = cmd->add_option("--min-time", opts->bench.min_time_s, "Seconds per repetition")
                       ->check(CLI::Range(0.0001, 60.0));
  cmd->add_flag("--quick", opts->bench.quick, "3 repetitions of 0.01 s per run");
  cmd->add_option("--metric", opts->metric, "real_time (default), cpu_time or a counter");
  cmd->add_option("--noise-k", opts->noise_k, "Gates need K x noise (default 2)");
  cmd->add_option("--db", opts->bench.db, "SQLite database (default $PERFKIT_DB or ./perfkit.db)");
  return [opts, reps, min_time] {
    CalibrateOptions o = *opts;
    if (o.bench.quick && reps->count() == 0) o.bench.repetitions = 3;
    if (o.bench.quick && min_time->count() == 0) o.bench.min_time_s = 0.01;
    o.bench.progress = isatty(STDERR_FILENO);
    return RunCalibrate(o);
  };
}

}  // namespace perfkit::cli
