// A simulation of the compare gate on synthetic suites with log-normal noise:
// how often it cries wolf when nothing changed, and how often it catches a
// real slowdown. This is how we know the statistics are right, in numbers.
#pragma once

#include <cstdint>

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

}  // namespace perfkit::report
