#include "report/paired.h"

#include <algorithm>
#include <cmath>

#include "report/mann_whitney.h"
#include "report/stats.h"

namespace perfkit::report {
namespace {

double BinomialCdfHalf(int k, int n) {  // P(X <= k), X ~ Bin(n, 1/2)
  if (k < 0) return 0;
  double term = std::pow(0.5, n), sum = 0;
  for (int i = 0; i <= std::min(k, n); ++i) {
    sum += term;
    term = term * (n - i) / (i + 1);
  }
  return std::min(1.0, sum);
}

struct Interval {
  double lower, upper;
};

// [d_(k+1), d_(n-k)] of sorted values covers their median with 1 - 2 alpha:
// one-sided 1 - alpha bounds, as in Compare.
Interval OrderStatisticInterval(const std::vector<double>& sorted, double alpha) {
  const int n = static_cast<int>(sorted.size());
  int k = -1;
  while (BinomialCdfHalf(k + 1, n) <= alpha) ++k;
  if (k < 0) return {-INFINITY, INFINITY};
  return {sorted[static_cast<size_t>(k)], sorted[static_cast<size_t>(n - 1 - k)]};
}

BenchmarkComparison PairedOne(const PairedSamples& s, const CompareOptions& o, bool higher_better) {
  BenchmarkComparison c;
  c.name = s.name;
  std::vector<double> d, olds, news;
  for (size_t i = 0; i < std::min(s.old_values.size(), s.new_values.size()); ++i) {
    const double a = s.old_values[i], b = s.new_values[i];
    if (!(a > 0) || !(b > 0) || !std::isfinite(a) || !std::isfinite(b)) continue;
    d.push_back(std::log(b / a));
    olds.push_back(a);
    news.push_back(b);
  }
  c.n_base = c.n_candidate = d.size();
  c.median_base = Median(olds);
  c.median_candidate = Median(news);
  c.threshold = c.effective_threshold = ThresholdFor(o, s.name);
  if (d.empty()) return c;
  std::sort(d.begin(), d.end());
  c.ratio = std::exp(Median(d));
  const Interval interval = OrderStatisticInterval(d, o.alpha);
  c.ratio_lower = std::exp(interval.lower);
  c.ratio_upper = std::exp(interval.upper);
  int up = 0, down = 0;
  for (double x : d) {
    up += x > 0;
    down += x < 0;
  }
  const double p_up = SignTestUpper(up, up + down), p_down = SignTestUpper(down, up + down);
  c.p_worse = higher_better ? p_down : p_up;
  c.p_better = higher_better ? p_up : p_down;
  c.p_two_sided = std::min(1.0, 2 * std::min(p_up, p_down));
  const double half = (interval.upper - interval.lower) / 2;
  c.min_detectable_effect = std::expm1(std::log1p(c.effective_threshold) + half);
  return c;
}

}  // namespace

double SignTestUpper(int positives, int n) {
  if (n == 0) return 1;
  return 1 - BinomialCdfHalf(positives - 1, n);
}

Comparison ComparePaired(const std::vector<PairedSamples>& samples, const CompareOptions& o) {
  Comparison out;
  out.metric = o.metric;
  out.alpha = o.alpha;
  out.higher_is_better = HigherIsBetter(o.metric);
  for (const auto& s : samples) out.benchmarks.push_back(PairedOne(s, o, out.higher_is_better));
  AssignVerdicts(out, o.alpha, "rounds");
  // The suite's geometric mean per round (over the benchmarks measured in
  // that round), then the same order-statistic interval across rounds.
  std::map<size_t, std::pair<double, int>> rounds;
  for (const auto& p : samples) {
    for (size_t r = 0; r < std::min(p.old_values.size(), p.new_values.size()); ++r) {
      if (p.old_values[r] > 0 && p.new_values[r] > 0) {
        rounds[r].first += std::log(p.new_values[r] / p.old_values[r]);
        ++rounds[r].second;
      }
    }
  }
  std::vector<double> suite;
  for (const auto& [r, acc] : rounds) suite.push_back(acc.first / acc.second);
  if (!suite.empty()) {
    std::sort(suite.begin(), suite.end());
    const Interval i = OrderStatisticInterval(suite, o.alpha);
    out.geomean = std::exp(Median(suite));
    out.geomean_lower = std::exp(i.lower);
    out.geomean_upper = std::exp(i.upper);
  }
  return out;
}

std::map<std::string, double> NoiseFloors(const std::vector<RunRecord>& runs,
                                          const std::string& metric) {
  std::map<std::string, std::vector<std::vector<double>>> logs;  // per benchmark, per run
  for (const RunRecord& run : runs) {
    for (const BenchmarkResult& b : run.benchmarks) {
      std::vector<double> v;
      for (double x : MetricValues(b, metric)) {
        if (x > 0 && std::isfinite(x)) v.push_back(std::log(x));
      }
      if (!v.empty()) logs[b.name].push_back(std::move(v));
    }
  }
  std::map<std::string, double> floors;
  for (const auto& [name, per_run] : logs) {
    double sum = 0;
    int pairs = 0;
    for (size_t i = 0; i < per_run.size(); ++i) {
      for (size_t j = i + 1; j < per_run.size(); ++j) {
        const double shift = HodgesLehmann(per_run[i], per_run[j], 0.95).shift;
        sum += shift * shift;
        ++pairs;
      }
    }
    if (pairs > 0) floors[name] = std::sqrt(sum / pairs);
  }
  return floors;
}

}  // namespace perfkit::report
