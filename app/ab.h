// Interleaved A/B of two builds (perfkit binaries or Google Benchmark
// executables) in alternating fresh processes, ABBA, gated on paired
// per-round ratios: drift of the machine hits both sides of a round alike.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "app/gate.h"
#include "subsystems/base/status.h"
#include "subsystems/base/subprocess.h"
#include "suites/harness/defaults.h"

namespace perfkit::app {

struct AbRequest {
  std::string old_program;
  std::string new_program;
  std::vector<std::string> suites;  // for perfkit builds
  std::string filter;
  int rounds = 16;
  // --rounds auto: the sequential gate decides when to stop (request.gate.plan).
  bool auto_rounds = false;
  double min_time_s = harness::kUsualDefaults.min_time_s;
  GateRequest gate;
  std::vector<std::string> args;  // for Google Benchmark executables
};

struct AbStep {
  int round = 0;   // from 1
  int rounds = 0;  // the most there can be
  bool is_old = false;
  size_t decided = 0, benchmarks = 0;  // --rounds auto, after the first block
};
// `on_step` before each process.
Result<GateResult> RunAb(const AbRequest& request,
                         const std::function<void(const AbStep&)>& on_step,
                         Launcher& launcher = SystemLauncher());

}  // namespace perfkit::app
