// The power model P = P_idle + C_cpu * u + C_mem * bw, with u the CPU
// utilisation from 0 to 1 over all CPUs and bw the memory bandwidth in
// GB/s; fitted by least squares with every coefficient kept >= 0, and
// judged on workloads it was not fitted on.
#pragma once

#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::power {

struct PowerModel {
  double p_idle_w = 0;
  double c_cpu_w_per_util = 0;
  double c_mem_w_per_gbps = 0;
  double Watts(double u, double bw_gbps) const {
    return p_idle_w + c_cpu_w_per_util * u + c_mem_w_per_gbps * bw_gbps;
  }
};

// One steady interval: what the load was and what the source measured.
struct Observation {
  std::string load;  // "cpu 50%, memory 2.0 GB/s"
  double u = 0;
  double bw_gbps = 0;
  double seconds = 0;
  double joules = 0;
  double Watts() const { return seconds > 0 ? joules / seconds : 0; }
};

// Non-negative least squares over the three coefficients: every subset of
// them solved unconstrained, the best whose solution is all >= 0 kept
// (with three unknowns, exact and simpler than an active-set loop). Fails
// with fewer than three observations or when u and bw never vary.
Result<PowerModel> Fit(const std::vector<Observation>& observations);

// How far the model's estimates are from what was measured, in percent of
// the measurement: mean absolute error, mean signed error (positive: the
// model overestimates) and the worst, for mean power and for each
// interval's energy.
struct Validation {
  double mape_pct = 0, bias_pct = 0, max_err_pct = 0;
  double energy_mape_pct = 0, energy_max_err_pct = 0;
  int n = 0;
};
Validation Validate(const PowerModel& model, const std::vector<Observation>& held_out);

}  // namespace perfkit::power
