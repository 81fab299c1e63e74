// Energy per iteration for `perfkit bench --energy`: around each
// repetition, the joules an energy source counted (counters energy_j and
// power_w), or without one the power model's estimate from this process's
// CPU time, the wall time and, where resctrl counts it, the memory traffic
// (energy_est_j and power_est_w, never mixed with measured ones). Either
// way it is the whole machine's energy while the benchmark ran.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "subsystems/power/energy_source.h"
#include "subsystems/power/model.h"

namespace perfkit::harness {

struct EnergySample {
  double unix_time = 0;
  double watts = 0;
  double u = 0;
};

class EnergyMeter {
 public:
  // `model`: the host's power profile, if it has one. Fails, with the
  // reason, when there is neither a source nor a model.
  static Result<std::shared_ptr<EnergyMeter>> Open(const std::optional<power::PowerModel>& model,
                                                   bool model_validated);

  void Start();
  void Stop(benchmark::State& state);

  bool measured() const { return source_ != nullptr; }
  // "measured by powercap (package-0)" or "estimated from the power profile (not validated; ...)".
  const std::string& description() const { return description_; }
  const std::vector<EnergySample>& samples() const { return samples_; }

 private:
  EnergyMeter() = default;
  std::unique_ptr<power::EnergySource> source_;
  power::PowerModel model_;
  std::string description_;
  double joules0_ = 0, cpu0_ = 0;
  bool mbm_ = false;
  uint64_t mbm0_ = 0;
  std::chrono::steady_clock::time_point t0_;
  std::vector<EnergySample> samples_;
};

}  // namespace perfkit::harness
