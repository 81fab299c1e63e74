#include "report/units.h"

#include <fmt/format.h>

namespace perfkit::report {

std::string FormatDuration(double ns) {
  if (ns < 1e3) return fmt::format("{:.2f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.2f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

std::string FormatThroughput(double bps) {
  if (bps >= 1e9) return fmt::format("{:.2f} GB/s", bps / 1e9);
  if (bps >= 1e6) return fmt::format("{:.2f} MB/s", bps / 1e6);
  return fmt::format("{:.2f} kB/s", bps / 1e3);
}

std::string FormatMetric(const std::string& metric, double value) {
  if (metric == "real_time" || metric == "cpu_time") return FormatDuration(value);
  if (metric == "bytes_per_second") return FormatThroughput(value);
  return fmt::format("{:.4g}", value);
}

}  // namespace perfkit::report
