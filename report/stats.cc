#include "report/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace perfkit::report {

double Median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double StdDev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = Mean(v);
  double sum = 0;
  for (double x : v) sum += (x - m) * (x - m);
  return std::sqrt(sum / static_cast<double>(v.size() - 1));
}

double CvPercent(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = Mean(v);
  return m == 0 ? 0 : 100.0 * StdDev(v) / m;
}

}  // namespace perfkit::report
