#include "subsystems/power/model.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>

namespace perfkit::power {
namespace {

// Solves the normal equations of the columns in `use` (Gaussian
// elimination with partial pivoting); false when they are singular.
bool SolveSubset(const std::vector<std::array<double, 3>>& x, const std::vector<double>& y,
                 const std::array<bool, 3>& use, std::array<double, 3>* out) {
  std::vector<int> cols;
  for (int j = 0; j < 3; ++j) {
    if (use[static_cast<size_t>(j)]) cols.push_back(j);
  }
  const size_t k = cols.size();
  std::vector<std::vector<double>> a(k, std::vector<double>(k + 1, 0));
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t r = 0; r < k; ++r) {
      for (size_t c = 0; c < k; ++c) {
        a[r][c] += x[i][static_cast<size_t>(cols[r])] * x[i][static_cast<size_t>(cols[c])];
      }
      a[r][k] += x[i][static_cast<size_t>(cols[r])] * y[i];
    }
  }
  for (size_t c = 0; c < k; ++c) {
    size_t pivot = c;
    for (size_t r = c + 1; r < k; ++r) {
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    }
    if (std::abs(a[pivot][c]) < 1e-12) return false;
    std::swap(a[c], a[pivot]);
    for (size_t r = 0; r < k; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (size_t j = c; j <= k; ++j) a[r][j] -= f * a[c][j];
    }
  }
  *out = {0, 0, 0};
  for (size_t r = 0; r < k; ++r) (*out)[static_cast<size_t>(cols[r])] = a[r][k] / a[r][r];
  return true;
}

}  // namespace

Result<PowerModel> Fit(const std::vector<Observation>& observations) {
  if (observations.size() < 3) {
    return Status::Error("fitting needs at least 3 observations, not " +
                         std::to_string(observations.size()));
  }
  std::vector<std::array<double, 3>> x;
  std::vector<double> y;
  double u_min = 1e300, u_max = -1e300;
  for (const Observation& o : observations) {
    if (!(o.seconds > 0) || !std::isfinite(o.joules) || !std::isfinite(o.u) ||
        !std::isfinite(o.bw_gbps)) {
      return Status::Error("an observation is not finite (" + o.load + ")");
    }
    x.push_back({1.0, o.u, o.bw_gbps});
    y.push_back(o.Watts());
    u_min = std::min(u_min, o.u);
    u_max = std::max(u_max, o.u);
  }
  if (u_max - u_min < 0.05) {
    return Status::Error(
        fmt::format("the utilisation hardly varied across the loads ({:.1f}% to {:.1f}%): {}",
                    u_min * 100, u_max * 100,
                    u_min > 0.5 ? "something else kept the CPUs busy; calibrate on a quiet machine"
                                : "the loads did not get the CPUs (a CPU quota?)"));
  }
  double best_residual = std::numeric_limits<double>::infinity();
  std::array<double, 3> best{};
  for (int mask = 1; mask < 8; ++mask) {
    const std::array<bool, 3> use = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
    std::array<double, 3> c{};
    if (!SolveSubset(x, y, use, &c)) continue;
    if (c[0] < 0 || c[1] < 0 || c[2] < 0) continue;
    double residual = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double e = c[0] * x[i][0] + c[1] * x[i][1] + c[2] * x[i][2] - y[i];
      residual += e * e;
    }
    if (residual < best_residual) {
      best_residual = residual;
      best = c;
    }
  }
  if (!std::isfinite(best_residual)) return Status::Error("no non-negative fit exists");
  return PowerModel{best[0], best[1], best[2]};
}

Validation Validate(const PowerModel& model, const std::vector<Observation>& held_out) {
  Validation v;
  for (const Observation& o : held_out) {
    if (!(o.joules > 0) || !(o.seconds > 0)) continue;
    const double watts = model.Watts(o.u, o.bw_gbps);
    const double err = (watts - o.Watts()) / o.Watts() * 100;
    const double energy_err = (watts * o.seconds - o.joules) / o.joules * 100;
    v.mape_pct += std::abs(err);
    v.bias_pct += err;
    v.max_err_pct = std::max(v.max_err_pct, std::abs(err));
    v.energy_mape_pct += std::abs(energy_err);
    v.energy_max_err_pct = std::max(v.energy_max_err_pct, std::abs(energy_err));
    ++v.n;
  }
  if (v.n > 0) {
    v.mape_pct /= v.n;
    v.bias_pct /= v.n;
    v.energy_mape_pct /= v.n;
  }
  return v;
}

}  // namespace perfkit::power
