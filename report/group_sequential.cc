#include "report/group_sequential.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

#include "report/mann_whitney.h"

namespace perfkit::report {
namespace {

// The regularized incomplete beta function I_x(a, b) by its continued
// fraction (DLMF 8.17.22), evaluated with the modified Lentz method.
double IncompleteBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - IncompleteBeta(b, a, 1 - x);
  constexpr double kTiny = 1e-300;
  double f = kTiny, c = f, d = 0;
  for (int j = 1; j < 400; ++j) {
    double numerator = 1;  // a_1 = 1, then d_1, d_2, ...
    if (j > 1) {
      const int k = j - 1, m = k / 2;
      numerator = k % 2 == 1 ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                             : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    }
    d = 1 + numerator * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + numerator / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    f *= c * d;
    if (std::fabs(c * d - 1) < 1e-14) break;
  }
  const double log_front =
      a * std::log(x) + b * std::log1p(-x) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
  return std::exp(log_front) / a * f;
}

double NormalPdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); }

// The nominal levels RepeatedP's table holds, log-spaced.
constexpr double kSmallestTabled = 1e-12, kLargestTabled = 0.5;
constexpr int kTableSize = 64;

}  // namespace

std::vector<int> PlannedLooks(int first, int cap) {
  std::vector<int> looks;
  for (int n = std::max(first, 2); n < cap; n *= 2) looks.push_back(n);
  looks.push_back(std::max(cap, 2));
  return looks;
}

double CrossingProbability(const std::vector<double>& information, double z) {
  if (information.empty()) return 0;
  // Below -8 the density is too small to matter at any level we test.
  constexpr int kGrid = 201;
  constexpr double kLow = -8;
  if (z <= kLow) return 1;
  const double dz = (z - kLow) / (kGrid - 1);
  std::vector<double> grid(kGrid), mass(kGrid), next(kGrid);
  for (int i = 0; i < kGrid; ++i) {
    grid[i] = kLow + i * dz;
    // The density times the trapezoid rule's weight.
    mass[i] = NormalPdf(grid[i]) * dz * (i == 0 || i == kGrid - 1 ? 0.5 : 1);
  }
  double crossed = NormalSf(z);
  for (size_t k = 1; k < information.size(); ++k) {
    if (!(information[k] > information[k - 1])) continue;
    // Z_k = r Z_{k-1} + sqrt(1 - r^2) N(0, 1).
    const double r = std::sqrt(information[k - 1] / information[k]);
    const double sd = std::sqrt(1 - r * r);
    for (int i = 0; i < kGrid; ++i) crossed += mass[i] * NormalSf((z - r * grid[i]) / sd);
    for (int j = 0; j < kGrid; ++j) {
      double density = 0;
      for (int i = 0; i < kGrid; ++i) density += mass[i] * NormalPdf((grid[j] - r * grid[i]) / sd);
      next[j] = density / sd * dz * (j == 0 || j == kGrid - 1 ? 0.5 : 1);
    }
    mass.swap(next);
  }
  return std::min(crossed, 1.0);
}

double StudentTCdf(double t, double dof) {
  if (std::isnan(t) || !(dof > 0)) return NAN;
  if (std::isinf(t)) return t > 0 ? 1 : 0;
  const double tail = 0.5 * IncompleteBeta(dof / 2, 0.5, dof / (dof + t * t));
  return t > 0 ? 1 - tail : tail;
}

double StudentTQuantile(double p, double dof) {
  if (!(p > 0 && p < 1) || !(dof > 0)) return NAN;
  if (p < 0.5) return -StudentTQuantile(1 - p, dof);
  double lo = 0, hi = 1;
  while (StudentTCdf(hi, dof) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) return INFINITY;
  }
  for (int i = 0; i < 100 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    (StudentTCdf(mid, dof) < p ? lo : hi) = mid;
  }
  return hi;
}

GroupSequentialDesign::GroupSequentialDesign(std::vector<double> information, double alpha)
    : information_(std::move(information)) {
  // One look needs z_alpha; Bonferroni over K looks bounds it from above.
  const double looks = static_cast<double>(std::max<size_t>(information_.size(), 1));
  double lo = -NormalQuantile(alpha), hi = -NormalQuantile(alpha / looks);
  for (int i = 0; i < 40 && hi - lo > 1e-7; ++i) {
    const double mid = (lo + hi) / 2;
    (CrossingProbability(information_, mid) > alpha ? lo : hi) = mid;
  }
  nominal_ = NormalSf(hi);
  for (int i = 0; i < kTableSize; ++i) {
    const double log_a =
        std::log(kSmallestTabled) +
        (std::log(kLargestTabled) - std::log(kSmallestTabled)) * i / (kTableSize - 1);
    log_nominal_.push_back(log_a);
    log_overall_.push_back(
        std::log(CrossingProbability(information_, -NormalQuantile(std::exp(log_a)))));
  }
}

const GroupSequentialDesign& SharedDesign(const std::vector<double>& information, double alpha) {
  static std::mutex mutex;
  static std::map<std::pair<std::vector<double>, double>, GroupSequentialDesign> designs;
  const std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_pair(information, alpha);
  auto it = designs.find(key);
  if (it == designs.end())
    it = designs.emplace(key, GroupSequentialDesign(information, alpha)).first;
  return it->second;
}

double GroupSequentialDesign::RepeatedP(double smallest_nominal_p) const {
  if (!(smallest_nominal_p < kLargestTabled)) return 1;
  const double x = std::log(std::max(smallest_nominal_p, 1e-300));
  if (x <= log_nominal_.front()) {
    // Beyond the table: Bonferroni over the looks bounds it from above.
    return std::min(1.0, smallest_nominal_p * static_cast<double>(information_.size()));
  }
  const size_t i = static_cast<size_t>(
      std::upper_bound(log_nominal_.begin(), log_nominal_.end(), x) - log_nominal_.begin());
  const double f = (x - log_nominal_[i - 1]) / (log_nominal_[i] - log_nominal_[i - 1]);
  return std::min(1.0, std::exp(log_overall_[i - 1] + f * (log_overall_[i] - log_overall_[i - 1])));
}

}  // namespace perfkit::report
