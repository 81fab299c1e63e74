#include "report/compare.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "report/mann_whitney.h"
#include "report/stats.h"

namespace perfkit::report {
namespace {

std::vector<double> Logs(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v) {
    if (x > 0 && std::isfinite(x)) out.push_back(std::log(x));
  }
  return out;
}

BenchmarkComparison CompareOne(const std::string& name, const std::vector<double>& base,
                               const std::vector<double>& cand, const CompareOptions& o,
                               bool higher_is_better) {
  BenchmarkComparison c;
  c.name = name;
  const auto lb = Logs(base), lc = Logs(cand);
  c.n_base = lb.size();
  c.n_candidate = lc.size();
  c.median_base = Median(base);
  c.median_candidate = Median(cand);
  const GateThreshold t = GateThresholdFor(o, name);
  c.threshold = t.requested;
  c.effective_threshold = t.effective;
  c.noise = t.noise;
  c.note = t.note;
  if (lb.empty() || lc.empty()) return c;
  const ShiftEstimate hl = HodgesLehmann(lb, lc, 1 - 2 * o.alpha);
  c.ratio = std::exp(hl.shift);
  c.ratio_lower = std::exp(hl.lower);
  c.ratio_upper = std::exp(hl.upper);
  const MannWhitney mw = MannWhitneyU(lb, lc);
  c.p_two_sided = mw.p_two_sided;
  c.p_worse = higher_is_better ? mw.p_less : mw.p_greater;
  c.p_better = higher_is_better ? mw.p_greater : mw.p_less;
  // The smallest change whose interval would clear the gate, given this
  // interval's width.
  const double half = std::isfinite(hl.upper - hl.lower) ? (hl.upper - hl.lower) / 2 : INFINITY;
  c.min_detectable_effect = std::expm1(std::log1p(c.effective_threshold) + half);
  return c;
}

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kRegression:
      return "REGRESSION";
    case Verdict::kImprovement:
      return "IMPROVEMENT";
    case Verdict::kNoChange:
      return "NO CHANGE";
    case Verdict::kInconclusive:
      break;
  }
  return "INCONCLUSIVE";
}

double ThresholdFor(const CompareOptions& o, const std::string& name) {
  double t = o.threshold;
  for (const auto& [glob, value] : o.threshold_overrides) {
    if (GlobMatch(glob, name)) t = value;
  }
  return t;
}

std::vector<ClaimChange> ClaimChanges(const RunRecord& base, const RunRecord& candidate,
                                      size_t* compared) {
  std::map<std::string, const ClaimResult*> before;
  for (const ClaimResult& c : base.claims) before[c.id] = &c;
  std::vector<ClaimChange> out;
  size_t both = 0;
  for (const ClaimResult& now : candidate.claims) {
    auto it = before.find(now.id);
    if (it == before.end()) continue;
    ++both;
    const ClaimResult& was = *it->second;
    if (was.status == now.status) continue;
    ClaimChange c;
    c.id = now.id;
    c.suite = now.suite;
    c.topic = now.topic();
    c.before = was.status;
    c.after = now.status;
    c.has_values = was.has_value && now.has_value;
    c.value_before = was.value;
    c.value_after = now.value;
    c.unit = now.unit;
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ClaimChange& a, const ClaimChange& b) { return a.lost() > b.lost(); });
  if (compared != nullptr) *compared = both;
  return out;
}

GateThreshold GateThresholdFor(const CompareOptions& o, const std::string& name) {
  GateThreshold t;
  t.requested = t.effective = ThresholdFor(o, name);
  if (auto it = o.noise.find(name); it != o.noise.end()) {
    t.noise = it->second;
    const double floor = std::expm1(o.noise_k * t.noise);
    if (floor > t.requested) {
      t.effective = floor;
      t.note = "threshold raised to the noise floor";
    }
  }
  return t;
}

bool HigherIsBetter(const std::string& metric) {
  const std::string suffix = "_per_second";
  return metric.size() > suffix.size() &&
         metric.compare(metric.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<double> MetricValues(const BenchmarkResult& b, const std::string& metric) {
  std::vector<double> v;
  for (const Sample& s : b.samples) {
    if (metric == "real_time") {
      v.push_back(s.real_time_ns);
    } else if (metric == "cpu_time") {
      v.push_back(s.cpu_time_ns);
    } else if (auto it = s.counters.find(metric); it != s.counters.end()) {
      v.push_back(it->second);
    }
  }
  return v;
}

bool GlobMatch(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// Ratios are candidate/base of the metric; "worse" is up for times and down
// for throughputs. The interval is the two-sided 1-2*alpha one, so each of
// its bounds is a one-sided 1-alpha bound: REGRESSION is a one-sided test of
// "ratio <= 1+t" at alpha, NO CHANGE is the two one-sided tests (TOST) of
// equivalence within the threshold. Improvement mirrors regression in log
// space: the interval must lie below 1/(1+t).
Verdict Decide(double p_worse_adjusted, double p_better_adjusted, double lower, double upper,
               double threshold, bool higher_is_better, double alpha) {
  const double hi = 1 + threshold, lo = 1 / (1 + threshold);
  const double worse_bound = higher_is_better ? 1 / upper : lower;  // as a slowdown ratio
  const double better_bound = higher_is_better ? 1 / lower : upper;
  if (p_worse_adjusted < alpha && worse_bound >= hi) return Verdict::kRegression;
  if (p_better_adjusted < alpha && better_bound <= lo) return Verdict::kImprovement;
  if (lower >= lo && upper <= hi) return Verdict::kNoChange;
  return Verdict::kInconclusive;
}

void AssignVerdicts(Comparison& out, double alpha, const std::string& unit) {
  std::vector<double> worse, better;
  for (const auto& c : out.benchmarks) {
    worse.push_back(c.p_worse);
    better.push_back(c.p_better);
  }
  const auto worse_adj = BenjaminiHochberg(worse), better_adj = BenjaminiHochberg(better);
  for (size_t i = 0; i < out.benchmarks.size(); ++i) {
    auto& c = out.benchmarks[i];
    c.p_worse_adjusted = worse_adj[i];
    c.p_better_adjusted = better_adj[i];
    if (c.n_base < kMinRepetitions || c.n_candidate < kMinRepetitions) {
      c.verdict = Verdict::kInconclusive;
      c.note = "fewer than " + std::to_string(kMinRepetitions) + " " + unit;
      out.insufficient_data = true;
    } else {
      c.verdict = Decide(c.p_worse_adjusted, c.p_better_adjusted, c.ratio_lower, c.ratio_upper,
                         c.effective_threshold, out.higher_is_better, alpha);
    }
    ++out.counts[c.verdict];
  }
}

Result<Comparison> Compare(const RunRecord& base, const RunRecord& candidate,
                           const CompareOptions& o) {
  Comparison out;
  out.metric = o.metric;
  out.alpha = o.alpha;
  out.higher_is_better = HigherIsBetter(o.metric);
  std::map<std::string, const BenchmarkResult*> cand;
  for (const auto& b : candidate.benchmarks) cand[b.name] = &b;
  std::map<std::string, bool> seen;
  bool metric_found = false;
  for (const BenchmarkResult& b : base.benchmarks) {
    seen[b.name] = true;
    auto it = cand.find(b.name);
    if (it == cand.end()) {
      out.only_in_base.push_back(b.name);
      continue;
    }
    const auto vb = MetricValues(b, o.metric), vc = MetricValues(*it->second, o.metric);
    metric_found |= !vb.empty() || !vc.empty();
    out.benchmarks.push_back(CompareOne(b.name, vb, vc, o, out.higher_is_better));
  }
  for (const auto& b : candidate.benchmarks) {
    if (!seen.count(b.name)) out.only_in_candidate.push_back(b.name);
  }
  if (out.benchmarks.empty()) return Status::Error("the two runs have no benchmark in common");
  if (!metric_found) return Status::Error("no benchmark has the metric '" + o.metric + "'");

  AssignVerdicts(out, o.alpha, "repetitions");
  out.claim_changes = ClaimChanges(base, candidate, &out.claims_compared);
  // Every benchmark with a ratio counts towards the mean; the interval is
  // given only when each of them has one (1 repetition a side has none).
  double sum_log = 0, sum_var = 0;
  int measured = 0;
  bool bounded = true;
  const double z = NormalQuantile(1 - o.alpha);
  for (const auto& c : out.benchmarks) {
    if (c.n_base == 0 || c.n_candidate == 0 || !(c.ratio > 0)) continue;
    sum_log += std::log(c.ratio);
    ++measured;
    if (std::isfinite(c.ratio_lower) && std::isfinite(c.ratio_upper) && c.ratio_lower > 0) {
      // Each interval's half-width read as z standard errors.
      const double se = (std::log(c.ratio_upper) - std::log(c.ratio_lower)) / (2 * z);
      sum_var += se * se;
    } else {
      bounded = false;
    }
  }
  if (measured > 0) {
    const double mean = sum_log / measured, se = std::sqrt(sum_var) / measured;
    out.geomean = std::exp(mean);
    out.geomean_lower = bounded ? std::exp(mean - z * se) : 0;
    out.geomean_upper = bounded ? std::exp(mean + z * se) : INFINITY;
  }
  return out;
}

}  // namespace perfkit::report
