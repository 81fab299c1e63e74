#include "report/units.h"

#include <fmt/format.h>

#include <cmath>

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

std::string FormatChange(double ratio, bool higher_is_better) {
  if (!std::isfinite(ratio)) return "n/a";
  const double pct = (ratio - 1) * 100;
  const std::string number = fmt::format("{:+.1f}%", pct);
  if (number == "+0.0%" || number == "-0.0%") return "+0.0%";
  return number + ((pct > 0) == higher_is_better ? " better" : " worse");
}

std::string ChangeLegend(const std::string& metric, bool higher_is_better) {
  return fmt::format("change: the candidate's {} against the base's ({} is better)", metric,
                     higher_is_better ? "higher" : "lower");
}

}  // namespace perfkit::report
