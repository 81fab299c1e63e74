// SimulateSequential (stats_selftest.h): the sequential gate and the fixed
// design on synthetic suites whose noise is log-normal, heavy-tailed or
// drifting with the neighbours.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "report/compare.h"
#include "report/sequential.h"
#include "report/stats.h"
#include "report/stats_selftest.h"

namespace perfkit::report {
namespace {

// A shared machine as one suite meets it: the noise of each repetition and,
// when drifting, whether neighbours are busy (they come and go between
// processes; busy spells last about 20 of them).
class SimulatedMachine {
 public:
  SimulatedMachine(const SequentialSimulation& sim, std::mt19937_64& rng)
      : sigma_(std::sqrt(std::log1p(sim.cv * sim.cv))), noise_(sim.noise), rng_(rng) {
    busy_ = noise_ == Noise::kDrifting && Uniform() < kBusyShare;
  }

  void Step() {
    if (noise_ != Noise::kDrifting) return;
    if (Uniform() < (busy_ ? kLeave : kArrive)) busy_ = !busy_;
  }

  double Draw(double scale) {
    double e;
    if (noise_ == Noise::kHeavy) {
      std::student_t_distribution<double> t3(3);
      e = sigma_ * t3(rng_) / std::sqrt(3.0);
      if (Uniform() < 0.03) e += std::exponential_distribution<double>(1 / (3 * sigma_))(rng_);
    } else {
      e = std::normal_distribution<double>(0, busy_ ? 2 * sigma_ : sigma_)(rng_);
      if (busy_) e += std::log(1.10);
    }
    return scale * std::exp(e);
  }

 private:
  static constexpr double kArrive = 0.02, kLeave = 0.05;
  static constexpr double kBusyShare = kArrive / (kArrive + kLeave);
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  double sigma_;
  Noise noise_;
  std::mt19937_64& rng_;
  bool busy_ = false;
};

std::string SimName(int b) { return "sim/" + std::to_string(b); }
double Scale(int b, double slowdown) { return 100.0 * (b + 1) * (b == 0 ? 1 + slowdown : 1); }

// One repetition of every benchmark per round, as the harness measures.
RunRecord FixedRun(const SequentialSimulation& sim, std::mt19937_64& rng, double slowdown) {
  SimulatedMachine machine(sim, rng);
  RunRecord run;
  run.benchmarks.resize(static_cast<size_t>(sim.benchmarks));
  for (int b = 0; b < sim.benchmarks; ++b) run.benchmarks[b].name = SimName(b);
  for (int r = 0; r < sim.fixed_repetitions; ++r) {
    machine.Step();
    for (int b = 0; b < sim.benchmarks; ++b) {
      Sample s;
      s.repetition_index = r;
      s.real_time_ns = machine.Draw(Scale(b, slowdown));
      run.benchmarks[b].samples.push_back(s);
    }
  }
  return run;
}

Comparison FixedSuite(const SequentialSimulation& sim, std::mt19937_64& rng, double slowdown) {
  CompareOptions options;
  options.alpha = sim.alpha;
  options.threshold = sim.threshold;
  const RunRecord base = FixedRun(sim, rng, 0);
  auto c = Compare(base, FixedRun(sim, rng, slowdown), options);
  return c.ok() ? *c : Comparison();
}

Comparison SequentialSuite(const SequentialSimulation& sim, std::mt19937_64& rng, double slowdown) {
  SequentialOptions options;
  options.compare.alpha = sim.alpha;
  options.compare.threshold = sim.threshold;
  options.paired = sim.paired;
  options.first_look = sim.first_block;
  options.last_look = sim.max_repetitions;
  SequentialGate gate(options);
  std::vector<std::string> names;
  for (int b = 0; b < sim.benchmarks; ++b) names.push_back(SimName(b));
  if (!sim.paired) {
    // The stored base was measured earlier, on the machine as it was then.
    SimulatedMachine then(sim, rng);
    std::vector<std::vector<double>> base(names.size());
    for (int r = 0; r < sim.base_repetitions; ++r) {
      then.Step();
      for (int b = 0; b < sim.benchmarks; ++b) base[b].push_back(then.Draw(Scale(b, 0)));
    }
    for (int b = 0; b < sim.benchmarks; ++b) gate.SetBase(names[b], base[b]);
  }
  SimulatedMachine now(sim, rng);
  std::vector<int> active(names.size());
  for (int b = 0; b < sim.benchmarks; ++b) active[b] = b;
  for (int r = 0; r < sim.max_repetitions && !active.empty(); ++r) {
    // Each side of a round is one process: the machine may change between.
    std::vector<double> old_values(active.size()), new_values(active.size());
    if (sim.paired) {
      now.Step();
      for (size_t i = 0; i < active.size(); ++i) old_values[i] = now.Draw(Scale(active[i], 0));
    }
    now.Step();
    for (size_t i = 0; i < active.size(); ++i) {
      new_values[i] = now.Draw(Scale(active[i], slowdown));
    }
    for (size_t i = 0; i < active.size(); ++i) {
      if (sim.paired) {
        gate.AddPair(names[active[i]], old_values[i], new_values[i]);
      } else {
        gate.AddCandidate(names[active[i]], new_values[i]);
      }
    }
    if (r + 1 < sim.first_block) continue;
    gate.Look();
    active.clear();
    for (const std::string& name : gate.Undecided()) active.push_back(std::stoi(name.substr(4)));
  }
  gate.LastLook();
  return gate.Result("the simulation's budget");
}

template <typename Suite>
DesignRates Rates(const SequentialSimulation& sim, uint64_t seed, Suite suite) {
  std::mt19937_64 rng(seed);
  DesignRates out;
  std::vector<double> used;
  int false_alarms = 0, no_change = 0;
  std::vector<int> detected(sim.slowdowns.size());
  for (int s = 0; s < sim.suites; ++s) {
    const Comparison null = suite(rng, 0.0);
    bool alarm = false;
    for (const auto& b : null.benchmarks) {
      alarm |= b.verdict == Verdict::kRegression;
      no_change += b.verdict == Verdict::kNoChange;
      used.push_back(static_cast<double>(b.n_candidate));
    }
    false_alarms += alarm;
    for (size_t k = 0; k < sim.slowdowns.size(); ++k) {
      const Comparison alt = suite(rng, sim.slowdowns[k]);
      detected[k] += !alt.benchmarks.empty() && alt.benchmarks[0].verdict == Verdict::kRegression;
    }
  }
  const double suites = sim.suites;
  out.false_alarm_rate = false_alarms / suites;
  out.no_change_rate = no_change / (suites * sim.benchmarks);
  for (int d : detected) out.detection_rates.push_back(d / suites);
  out.median_repetitions = Median(used);
  out.mean_repetitions = Mean(used);
  return out;
}

}  // namespace

const char* NoiseName(Noise noise) {
  switch (noise) {
    case Noise::kLogNormal:
      return "log-normal";
    case Noise::kHeavy:
      return "heavy-tailed";
    case Noise::kDrifting:
      break;
  }
  return "drifting";
}

SequentialSimulationResult SimulateSequential(const SequentialSimulation& sim) {
  SequentialSimulationResult out;
  out.sequential = Rates(sim, sim.seed, [&](std::mt19937_64& rng, double slowdown) {
    return SequentialSuite(sim, rng, slowdown);
  });
  out.fixed = Rates(sim, sim.seed + 1, [&](std::mt19937_64& rng, double slowdown) {
    return FixedSuite(sim, rng, slowdown);
  });
  return out;
}

}  // namespace perfkit::report
