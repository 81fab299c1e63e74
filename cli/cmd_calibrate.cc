// `perfkit calibrate`: run the same build several times (A/A) and store each
// benchmark's noise floor, so `compare` knows which gates it cannot trust.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>

#include "app/calibrate.h"
#include "app/measure.h"
#include "cli/bench_flags.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/gate_flags.h"
#include "cli/results_output.h"

namespace perfkit::cli {

struct CalibrateOptions {
  app::BenchFlags bench;
  app::GateFlags gate;
  int runs = 5;
};

namespace {

void PrintFloors(const std::map<std::string, double>& floors, const report::CompareOptions& gate) {
  size_t width = 9;
  for (const auto& [name, noise] : floors) width = std::max(width, name.size());
  fmt::print("{:<{}}  {:>8}  {:>14}\n", "benchmark", width, "noise", "gate needs");
  int flagged = 0;
  for (const auto& [name, noise] : floors) {
    const double needs = std::expm1(gate.noise_k * noise);
    const double threshold = report::ThresholdFor(gate, name);
    const bool above = needs > threshold;
    flagged += above;
    fmt::print("{:<{}}  {:>7.2f}%  {:>13.1f}%{}\n", name, width, std::expm1(noise) * 100,
               needs * 100,
               above ? fmt::format("  (a {:.0f}% gate is below the noise)", threshold * 100) : "");
  }
  fmt::print(
      "\n{} of {} benchmarks are too noisy for their gate ({:.0f}% unless overridden); "
      "compare will judge them at {:.0f} x their noise\n",
      flagged, floors.size(), gate.threshold * 100, gate.noise_k);
}

}  // namespace

int RunCalibrate(const CalibrateOptions& o) {
  auto bench = app::MakeBenchRequest(o.bench);
  if (!bench.ok()) return Fail(bench.status());
  auto gate = app::MakeGateRequest(o.gate);
  if (!gate.ok()) return Fail(gate.status());
  auto m = app::PrepareMeasurement(*bench);
  if (!m.ok()) return Fail(m.status());
  PrintSkipped(m->selection.skipped);
  const app::CalibrateRequest request{std::move(*bench), o.runs, std::move(*gate)};
  auto calibration = app::Calibrate(*m->store, m->selection, request, [](int i, int n) {
    fmt::print(stderr, "calibration run {}/{}\n", i, n);
  });
  if (!calibration.ok()) return Fail(calibration.status());
  PrintFloors(calibration->floors, request.gate.compare);
  fmt::print(
      stderr, "saved noise floors of {} benchmarks for host {} ({} runs tagged calibration={})\n",
      calibration->floors.size(), calibration->host_fingerprint, o.runs, calibration->session);
  return kExitSuccess;
}

Runner AddCalibrate(CLI::App& app) {
  auto opts = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Run one build N times (A/A) and store each benchmark's noise floor");
  AddMeasureFlags(cmd, &opts->bench);
  cmd->add_option("--runs", opts->runs, "How many runs (default 5)")->check(CLI::Range(2, 100));
  AddGateFlags(cmd, &opts->gate, GateUse::kCalibration);
  return [opts] {
    opts->bench.progress = isatty(STDERR_FILENO);
    return RunCalibrate(*opts);
  };
}

}  // namespace perfkit::cli
