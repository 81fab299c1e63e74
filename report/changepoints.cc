#include "report/changepoints.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "report/stats.h"

namespace perfkit::report {
namespace {

constexpr size_t kMinSegment = 3;

// Squared deviations from the mean of x[s, t), from prefix sums.
class SegmentCost {
 public:
  explicit SegmentCost(const std::vector<double>& x) : sum_(x.size() + 1), sum2_(x.size() + 1) {
    for (size_t i = 0; i < x.size(); ++i) {
      sum_[i + 1] = sum_[i] + x[i];
      sum2_[i + 1] = sum2_[i] + x[i] * x[i];
    }
  }
  double operator()(size_t s, size_t t) const {
    const double n = static_cast<double>(t - s), s1 = sum_[t] - sum_[s];
    return std::max(0.0, sum2_[t] - sum2_[s] - s1 * s1 / n);
  }

 private:
  std::vector<double> sum_, sum2_;
};

// The noise of one value, robustly: the median absolute difference between
// neighbours, scaled to a standard deviation.
double NoiseOf(const std::vector<double>& x) {
  std::vector<double> d;
  for (size_t i = 1; i < x.size(); ++i) d.push_back(std::fabs(x[i] - x[i - 1]));
  return 1.4826 * Median(d) / std::sqrt(2.0);
}

}  // namespace

std::vector<ChangePoint> FindChangePoints(const std::vector<double>& values, double min_change) {
  const size_t n = values.size();
  if (n < 2 * kMinSegment) return {};
  std::vector<double> x;
  for (double v : values) x.push_back(std::log(v));
  const double sigma = std::max(NoiseOf(x), 1e-4);
  const double penalty = 4 * sigma * sigma * std::log(static_cast<double>(n));
  const SegmentCost cost(x);

  // best[t]: the least penalised cost of x[0, t); last[t]: where its last
  // segment starts. Starts that can never again be best are pruned (PELT).
  std::vector<double> best(n + 1, std::numeric_limits<double>::infinity());
  std::vector<size_t> last(n + 1, 0);
  best[0] = -penalty;
  std::vector<size_t> starts;
  for (size_t t = kMinSegment; t <= n; ++t) {
    starts.push_back(t - kMinSegment);
    for (size_t s : starts) {
      const double c = best[s] + cost(s, t) + penalty;
      if (c < best[t]) {
        best[t] = c;
        last[t] = s;
      }
    }
    std::vector<size_t> kept;
    for (size_t s : starts) {
      if (best[s] + cost(s, t) <= best[t]) kept.push_back(s);
    }
    starts.swap(kept);
  }

  std::vector<size_t> bounds = {n};
  for (size_t t = n; t > 0; t = last[t]) bounds.push_back(last[t]);
  std::reverse(bounds.begin(), bounds.end());  // 0, ..., n
  std::vector<ChangePoint> out;
  auto segment_median = [&](size_t s, size_t t) {
    return Median(std::vector<double>(values.begin() + static_cast<long>(s),
                                      values.begin() + static_cast<long>(t)));
  };
  for (size_t i = 1; i + 1 < bounds.size(); ++i) {
    ChangePoint cp;
    cp.index = bounds[i];
    cp.before = segment_median(bounds[i - 1], bounds[i]);
    cp.after = segment_median(bounds[i], bounds[i + 1]);
    if (std::fabs(cp.change()) >= min_change) out.push_back(cp);
  }
  return out;
}

}  // namespace perfkit::report
