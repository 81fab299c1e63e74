#include "suites/claims.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <random>

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

std::string ClaimSlug(const std::string& topic) {
  std::string out;
  for (char c : topic) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

ClaimResult Said(const std::string& topic, std::string text) {
  ClaimResult r;
  r.id = ClaimSlug(topic);
  r.text = std::move(text);
  return r;
}

ClaimResult Unmeasured(const std::string& topic, const std::string& reason,
                       const std::string& claim) {
  ClaimResult r = Said(
      topic, claim.empty() ? fmt::format("{}: not measured: {}", topic, reason)
                           : fmt::format("{}: not measured: {} (claim: {})", topic, reason, claim));
  r.status = ClaimStatus::kNotMeasurable;
  r.reason = reason;
  r.target = claim;
  return r;
}

Claim ShareOfBound(const std::string& topic, const std::string& ours, const std::string& bound,
                   double bytes, const std::string& bound_text, const std::string& how,
                   const std::string& unit, double target_percent) {
  return [=](const Measured& m) -> std::optional<ClaimResult> {
    if (const std::string error = FirstError(m, {ours, bound}); !error.empty()) {
      return Unmeasured(topic, error);
    }
    const auto o = m.medians.find(ours), b = m.medians.find(bound);
    if (o == m.medians.end() || b == m.medians.end() || !(o->second > 0) || !(b->second > 0)) {
      return std::nullopt;
    }
    const double share = b->second / o->second * 100;
    ClaimResult r = Said(topic, fmt::format("{}: {:.1f} GB/s, {:.0f}% of {} ({:.1f} GB/s: {}) "
                                            "(target: >= {:g}%)",
                                            topic, bytes / o->second, share, bound_text,
                                            bytes / b->second, how, target_percent));
    r.value = share;
    r.has_value = true;
    r.unit = unit;
    r.target = fmt::format(">= {:g}", target_percent);
    r.status = share >= target_percent ? ClaimStatus::kMet : ClaimStatus::kNotMet;
    r.benchmarks = {ours, bound};
    return r;
  };
}

Claim Ratio(const std::string& topic, const std::string& a, const std::string& b,
            const std::string& a_label, const std::string& b_label, const std::string& claim,
            bool a_claimed_faster) {
  return [=](const Measured& m) -> std::optional<ClaimResult> {
    const std::string id = topic + " " + a_label + " vs " + b_label;
    if (const std::string error = FirstError(m, {a, b}); !error.empty()) {
      ClaimResult r = Unmeasured(topic, error, claim);
      r.id = ClaimSlug(id);
      return r;
    }
    const auto x = m.medians.find(a), y = m.medians.find(b);
    if (x == m.medians.end() || y == m.medians.end() || !(x->second > 0) || !(y->second > 0)) {
      return std::nullopt;
    }
    const double ratio = y->second / x->second;
    ClaimResult r = Said(
        id, fmt::format("{}: {} takes {}, {} {}: {} is {:.2f}x {} (claim: {})", topic, a_label,
                        FormatNs(x->second), b_label, FormatNs(y->second), a_label,
                        ratio >= 1 ? ratio : 1 / ratio, ratio >= 1 ? "faster" : "slower", claim));
    r.value = ratio;
    r.has_value = true;
    r.unit = "x (" + a_label + "'s speed-up over " + b_label + ")";
    r.target = a_claimed_faster ? "> 1x (" + claim + ")" : claim;
    if (a_claimed_faster) r.status = ratio > 1 ? ClaimStatus::kMet : ClaimStatus::kNotMet;
    r.benchmarks = {a, b};
    return r;
  };
}

Interval BootstrapRatio(const std::vector<double>& a, const std::vector<double>& b) {
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  Interval out;
  if (a.empty() || b.empty()) return out;
  out.ratio = median(b) / median(a);
  // A fixed seed: the same samples always give the same interval.
  std::mt19937_64 rng(42);
  constexpr int kResamples = 2000;
  std::vector<double> ratios, ra(a.size()), rb(b.size());
  ratios.reserve(kResamples);
  for (int i = 0; i < kResamples; ++i) {
    for (double& x : ra) x = a[rng() % a.size()];
    for (double& x : rb) x = b[rng() % b.size()];
    ratios.push_back(median(rb) / median(ra));
  }
  std::sort(ratios.begin(), ratios.end());
  out.low = ratios[kResamples * 25 / 1000];
  out.high = ratios[kResamples * 975 / 1000 - 1];
  return out;
}

Claim IntervalRatio(const std::string& topic, const std::string& a, const std::string& b,
                    const std::string& a_label, const std::string& b_label) {
  return [=](const Measured& m) -> std::optional<ClaimResult> {
    if (const std::string error = FirstError(m, {a, b}); !error.empty()) {
      return Unmeasured(topic, error);
    }
    const auto x = m.times.find(a), y = m.times.find(b);
    if (x == m.times.end() || y == m.times.end()) return std::nullopt;
    const Interval i = BootstrapRatio(x->second, y->second);
    if (!(i.ratio > 0)) return std::nullopt;
    const char* verdict = i.low > 1    ? "faster"
                          : i.high < 1 ? "slower"
                                       : "no significant difference";
    ClaimResult r = Said(
        topic,
        fmt::format("{}: {} is {:.2f}x as fast as {} [95% interval {:.2f}-{:.2f}, n={}/{}]: {}",
                    topic, a_label, i.ratio, b_label, i.low, i.high, x->second.size(),
                    y->second.size(), verdict));
    r.value = i.ratio;
    r.has_value = true;
    r.unit = "x (" + a_label + "'s speed-up over " + b_label + ")";
    r.target = "measured, with its 95% interval";
    r.benchmarks = {a, b};
    return r;
  };
}

Claim NotMeasured(const std::string& topic, const std::string& reason, const std::string& claim) {
  return [=](const Measured&) -> std::optional<ClaimResult> {
    return Unmeasured(topic, reason, claim);
  };
}

}  // namespace perfkit::suites
