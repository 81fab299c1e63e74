// A simulation of the compare gate on synthetic suites with log-normal noise:
// how often it cries wolf when nothing changed, and how often it catches a
// real slowdown. This is how we know the statistics are right, in numbers.
#pragma once

#include <cstdint>
#include <vector>

#include "report/sequential.h"

namespace perfkit::report {

struct GateSimulation {
  double cv = 0.03;  // coefficient of variation of each repetition
  int suites = 1000;
  int benchmarks = 50;
  int repetitions = 10;    // per side
  double slowdown = 0.10;  // applied to one benchmark in the detection test
  double threshold = 0.05;
  double alpha = 0.05;
  uint64_t seed = 1;
};

struct GateSimulationResult {
  double false_alarm_rate = 0;   // suites with any REGRESSION, nothing changed
  double detection_rate = 0;     // suites where the slowed benchmark is a REGRESSION
  double other_alarms_rate = 0;  // detection suites with a REGRESSION elsewhere
};

GateSimulationResult SimulateGate(const GateSimulation& sim);

// The sequential gate (sequential.h) on the same kind of suites, beside the
// fixed design on the same noise.
enum class Noise {
  kLogNormal,  // independent log-normal repetitions
  kHeavy,      // t(3) tails, and 3% of repetitions slowed by an interrupt
  kDrifting,   // neighbours come and go: busy spells 10% slower and twice as noisy
};
const char* NoiseName(Noise noise);  // "log-normal", "heavy-tailed", "drifting"

struct SequentialSimulation {
  double cv = 0.05;
  Noise noise = Noise::kLogNormal;
  int suites = 1000;
  int benchmarks = 50;
  std::vector<double> slowdowns = {0.03, 0.05, 0.10, 0.20};  // of one benchmark, each
  double threshold = 0.05;
  double alpha = 0.05;
  // true: old/new rounds (ab --rounds auto); false: a stored base of
  // base_repetitions against a growing candidate (bench --until-decided).
  bool paired = true;
  int base_repetitions = 10;
  int first_block = 5;
  int max_repetitions = kSequentialCap;  // as the gate's default
  int fixed_repetitions = 10;            // the fixed design it is set beside
  uint64_t seed = 1;
};

struct DesignRates {
  double false_alarm_rate = 0;          // A/A suites with any REGRESSION
  double no_change_rate = 0;            // A/A benchmarks ending NO CHANGE
  std::vector<double> detection_rates;  // per slowdown: suites where it is a REGRESSION
  double median_repetitions = 0;        // per side, per benchmark, A/A suites
  double mean_repetitions = 0;
};

struct SequentialSimulationResult {
  DesignRates sequential;
  DesignRates fixed;
};

SequentialSimulationResult SimulateSequential(const SequentialSimulation& sim);

}  // namespace perfkit::report
