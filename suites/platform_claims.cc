#include "suites/platform_claims.h"

#include <fmt/format.h>

namespace perfkit::suites {

std::string FormatNs(double ns) {
  if (ns >= 1e6) return fmt::format("{:.2f} ms", ns / 1e6);
  if (ns >= 1e3) return fmt::format("{:.2f} us", ns / 1e3);
  return fmt::format("{:.2f} ns", ns);
}

std::string FirstError(const Measured& m, std::initializer_list<std::string> names) {
  for (const std::string& name : names) {
    const auto e = m.errors.find(name);
    if (e != m.errors.end()) return name + ": " + e->second;
  }
  return "";
}

Claim Ratio(const std::string& topic, const std::string& a, const std::string& b,
            const std::string& a_label, const std::string& b_label, const std::string& claim) {
  return [=](const Measured& m) -> std::string {
    if (const std::string error = FirstError(m, {a, b}); !error.empty()) {
      return NotMeasured(topic, error, claim)(m);
    }
    const auto x = m.medians.find(a), y = m.medians.find(b);
    if (x == m.medians.end() || y == m.medians.end() || !(x->second > 0) || !(y->second > 0)) {
      return "";
    }
    const double ratio = y->second / x->second;
    return fmt::format("{}: {} takes {}, {} {}: {} is {:.2f}x {} (claim: {})", topic, a_label,
                       FormatNs(x->second), b_label, FormatNs(y->second), a_label,
                       ratio >= 1 ? ratio : 1 / ratio, ratio >= 1 ? "faster" : "slower", claim);
  };
}

Claim NotMeasured(const std::string& topic, const std::string& reason, const std::string& claim) {
  return [=](const Measured&) {
    return fmt::format("{}: not measured: {} (claim: {})", topic, reason, claim);
  };
}

}  // namespace perfkit::suites
