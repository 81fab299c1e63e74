#include "report/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace perfkit::report {
namespace {

// Exact distribution is used up to this sample size per side: scipy's default
// is 8, but counting stays cheap well beyond (n*m*n*m/4 additions).
constexpr int kExactLimit = 50;

// counts[u] = number of arrangements of n x's and m y's with U = u.
std::vector<double> ComputeUCounts(int n, int m) {
  // f[j][u] for the current i: arrangements of i x's and j y's.
  std::vector<std::vector<double>> f(m + 1);
  for (int j = 0; j <= m; ++j) f[j] = {1.0};  // i = 0: U is always 0
  for (int i = 1; i <= n; ++i) {
    std::vector<std::vector<double>> g(m + 1);
    g[0] = {1.0};
    for (int j = 1; j <= m; ++j) {
      // The largest value is a y (adds i to U, since it beats all i x's)
      // or an x (adds nothing).
      g[j].assign(static_cast<size_t>(i) * static_cast<size_t>(j) + 1, 0.0);
      for (size_t u = 0; u < g[j - 1].size(); ++u) g[j][u + i] += g[j - 1][u];
      for (size_t u = 0; u < f[j].size(); ++u) g[j][u] += f[j][u];
    }
    f = std::move(g);
  }
  return f[m];
}

// Cached per thread: comparisons ask for the same few (n, m) over and over.
const std::vector<double>& UCounts(int n, int m) {
  thread_local std::map<std::pair<int, int>, std::vector<double>> cache;
  auto [it, inserted] = cache.try_emplace({n, m});
  if (inserted) it->second = ComputeUCounts(n, m);
  return it->second;
}

bool HasTies(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> all = x;
  all.insert(all.end(), y.begin(), y.end());
  std::sort(all.begin(), all.end());
  return std::adjacent_find(all.begin(), all.end()) != all.end();
}

double UStatistic(const std::vector<double>& x, const std::vector<double>& y) {
  double u = 0;
  for (double b : y) {
    for (double a : x) u += b > a ? 1.0 : b == a ? 0.5 : 0.0;
  }
  return u;
}

// Sum of t^3 - t over tie groups of the pooled sample.
double TieTerm(const std::vector<double>& x, const std::vector<double>& y) {
  std::map<double, int> counts;
  for (double v : x) ++counts[v];
  for (double v : y) ++counts[v];
  double sum = 0;
  for (const auto& [v, t] : counts) sum += static_cast<double>(t) * t * t - t;
  return sum;
}

}  // namespace

double NormalSf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// Acklam's rational approximation refined by one Newton step on erfc.
double NormalQuantile(double p) {
  if (p <= 0) return -INFINITY;
  if (p >= 1) return INFINITY;
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

namespace internal {

double ExactUCdf(int n, int m, int u) {
  if (u < 0) return 0;
  const std::vector<double>& counts = UCounts(n, m);
  double below = 0, total = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    total += counts[k];
    if (static_cast<int>(k) <= u) below += counts[k];
  }
  return below / total;
}

}  // namespace internal

MannWhitney MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y) {
  MannWhitney r;
  const int n = static_cast<int>(x.size()), m = static_cast<int>(y.size());
  if (n == 0 || m == 0) return r;
  r.u = UStatistic(x, y);
  const double nm = static_cast<double>(n) * m;
  if (n <= kExactLimit && m <= kExactLimit && !HasTies(x, y)) {
    r.exact = true;
    const std::vector<double>& counts = UCounts(n, m);
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    const int u = static_cast<int>(r.u);
    double ge = 0, le = 0;
    for (size_t k = 0; k < counts.size(); ++k) {
      if (static_cast<int>(k) >= u) ge += counts[k];
      if (static_cast<int>(k) <= u) le += counts[k];
    }
    r.p_greater = ge / total;
    r.p_less = le / total;
    r.p_two_sided = std::min(1.0, 2 * std::min(r.p_greater, r.p_less));
    return r;
  }
  const double total = n + m;
  const double mean = nm / 2;
  const double var = nm / 12 * ((total + 1) - TieTerm(x, y) / (total * (total - 1)));
  if (var <= 0) return r;  // every value tied: no evidence either way
  const double sd = std::sqrt(var);
  r.p_greater = NormalSf((r.u - mean - 0.5) / sd);
  r.p_less = NormalSf((mean - r.u - 0.5) / sd);
  r.p_two_sided = std::min(1.0, 2 * NormalSf((std::fabs(r.u - mean) - 0.5) / sd));
  return r;
}

ShiftEstimate HodgesLehmann(const std::vector<double>& x, const std::vector<double>& y,
                            double confidence) {
  ShiftEstimate e;
  const size_t n = x.size(), m = y.size();
  if (n == 0 || m == 0) return e;
  std::vector<double> d;
  d.reserve(n * m);
  for (double b : y) {
    for (double a : x) d.push_back(b - a);
  }
  std::sort(d.begin(), d.end());
  const size_t nm = d.size();
  e.shift = nm % 2 ? d[nm / 2] : (d[nm / 2 - 1] + d[nm / 2]) / 2;
  // k = the largest u with P(U <= u) <= alpha/2; the interval is
  // [d_(k+1), d_(nm-k)] in 1-based order statistics.
  const double alpha = 1 - confidence;
  long k;
  if (n <= static_cast<size_t>(kExactLimit) && m <= static_cast<size_t>(kExactLimit)) {
    const std::vector<double>& counts = UCounts(static_cast<int>(n), static_cast<int>(m));
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    double cum = 0;
    k = -1;
    for (size_t u = 0; u < counts.size(); ++u) {
      cum += counts[u];
      if (cum / total > alpha / 2) break;
      k = static_cast<long>(u);
    }
  } else {
    const double z = NormalQuantile(1 - alpha / 2);
    k = static_cast<long>(std::floor(static_cast<double>(nm) / 2 -
                                     z * std::sqrt(static_cast<double>(nm) * (n + m + 1) / 12.0))) -
        1;
  }
  if (k < 0) {
    // Too few values for this confidence: the interval is unbounded.
    e.lower = -INFINITY;
    e.upper = INFINITY;
    return e;
  }
  e.lower = d[static_cast<size_t>(k)];
  e.upper = d[nm - 1 - static_cast<size_t>(k)];
  return e;
}

std::vector<double> BenjaminiHochberg(const std::vector<double>& p) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> adjusted(m);
  double running = 1.0;
  for (size_t i = m; i-- > 0;) {
    running = std::min(running, p[order[i]] * static_cast<double>(m) / static_cast<double>(i + 1));
    adjusted[order[i]] = std::min(1.0, running);
  }
  return adjusted;
}

}  // namespace perfkit::report
