#include "report/stats_selftest.h"

#include <cmath>
#include <random>
#include <string>

#include "report/compare.h"

namespace perfkit::report {
namespace {

RunRecord SyntheticRun(std::mt19937_64& rng, const GateSimulation& sim, double slow_first) {
  const double sigma = std::sqrt(std::log1p(sim.cv * sim.cv));
  std::normal_distribution<double> noise(0, sigma);
  RunRecord run;
  for (int b = 0; b < sim.benchmarks; ++b) {
    BenchmarkResult r;
    r.name = "sim/" + std::to_string(b);
    const double scale = 100.0 * (b + 1) * (b == 0 ? 1 + slow_first : 1);
    for (int i = 0; i < sim.repetitions; ++i) {
      Sample s;
      s.repetition_index = i;
      s.real_time_ns = scale * std::exp(noise(rng));
      r.samples.push_back(s);
    }
    run.benchmarks.push_back(std::move(r));
  }
  return run;
}

}  // namespace

GateSimulationResult SimulateGate(const GateSimulation& sim) {
  std::mt19937_64 rng(sim.seed);
  CompareOptions options;
  options.alpha = sim.alpha;
  options.threshold = sim.threshold;
  int false_alarms = 0, detected = 0, other = 0;
  for (int s = 0; s < sim.suites; ++s) {
    const RunRecord base = SyntheticRun(rng, sim, 0);
    const RunRecord same = SyntheticRun(rng, sim, 0);
    const RunRecord slow = SyntheticRun(rng, sim, sim.slowdown);
    auto null = Compare(base, same, options);
    if (null.ok() && null->counts.count(Verdict::kRegression)) ++false_alarms;
    auto alt = Compare(base, slow, options);
    if (!alt.ok()) continue;
    detected += alt->benchmarks[0].verdict == Verdict::kRegression;
    for (size_t i = 1; i < alt->benchmarks.size(); ++i) {
      if (alt->benchmarks[i].verdict == Verdict::kRegression) {
        ++other;
        break;
      }
    }
  }
  const double n = sim.suites;
  return {false_alarms / n, detected / n, other / n};
}

}  // namespace perfkit::report
