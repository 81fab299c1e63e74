// Comparing two runs benchmark by benchmark: Mann-Whitney U on the
// repetitions, the Hodges-Lehmann ratio with its confidence interval,
// Benjamini-Hochberg across the suite, and one verdict per benchmark.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "results/result.h"
#include "subsystems/base/status.h"

namespace perfkit::report {

enum class Verdict { kRegression, kImprovement, kNoChange, kInconclusive };
const char* VerdictName(Verdict v);  // "REGRESSION", ...

// Fewer repetitions than this on either side never yield a verdict.
inline constexpr size_t kMinRepetitions = 5;

struct CompareOptions {
  std::string metric = "real_time";  // real_time, cpu_time or a counter name
  double alpha = 0.05;
  double threshold = 0.05;  // relative, 0.05 = 5%
  // (glob, threshold) pairs; the last matching glob wins.
  std::vector<std::pair<std::string, double>> threshold_overrides;
  // A/A noise floor per benchmark (typical |log ratio| between runs of one
  // build); the gate then needs max(threshold, noise_k * noise).
  std::map<std::string, double> noise;
  double noise_k = 2.0;
};

struct BenchmarkComparison {
  std::string name;
  size_t n_base = 0;
  size_t n_candidate = 0;
  double median_base = 0;
  double median_candidate = 0;
  double ratio = 1;        // candidate / base, Hodges-Lehmann
  double ratio_lower = 0;  // two-sided 1-2*alpha interval: each bound is a
  double ratio_upper = 0;  // one-sided 1-alpha confidence bound
  double p_two_sided = 1;
  double p_worse = 1;  // one-sided: the candidate is worse
  double p_better = 1;
  double p_worse_adjusted = 1;  // Benjamini-Hochberg over the comparison
  double p_better_adjusted = 1;
  double threshold = 0;              // as requested
  double effective_threshold = 0;    // after the noise floor
  double noise = -1;                 // -1: not calibrated
  double min_detectable_effect = 0;  // relative change the gate could see now
  Verdict verdict = Verdict::kInconclusive;
  std::string note;
};

// A claim whose status differs between the two runs.
struct ClaimChange {
  std::string id;
  std::string suite;
  std::string topic;
  ClaimStatus before = ClaimStatus::kMeasured, after = ClaimStatus::kMeasured;
  bool has_values = false;
  double value_before = 0, value_after = 0;
  std::string unit;
  bool lost() const { return before == ClaimStatus::kMet && after == ClaimStatus::kNotMet; }
};

struct Comparison {
  std::string metric;
  bool higher_is_better = false;
  double alpha = 0.05;
  std::vector<BenchmarkComparison> benchmarks;
  std::vector<std::string> only_in_base;
  std::vector<std::string> only_in_candidate;
  double geomean = 1;  // of the ratios
  double geomean_lower = 1;
  double geomean_upper = 1;
  std::map<Verdict, int> counts;
  bool insufficient_data = false;  // some benchmark had < kMinRepetitions
  std::string method;              // the sequential gate's account; empty for fixed samples
  size_t claims_compared = 0;      // claims present in both runs
  std::vector<ClaimChange> claim_changes;
};

// The claims of two runs whose status changed, the ones no longer met first.
std::vector<ClaimChange> ClaimChanges(const RunRecord& base, const RunRecord& candidate,
                                      size_t* compared = nullptr);

// Fails when the runs share no benchmark or the metric exists in neither.
Result<Comparison> Compare(const RunRecord& base, const RunRecord& candidate,
                           const CompareOptions& options);

// Benjamini-Hochberg over the comparison's one-sided p-values, then a verdict
// per benchmark and the counts; `unit` names what too few of means
// ("repetitions", "rounds"). Shared with the paired (A/B) gate.
void AssignVerdicts(Comparison& out, double alpha, const std::string& unit);

// Verdict rule on a ratio interval.
Verdict Decide(double p_worse_adjusted, double p_better_adjusted, double lower, double upper,
               double threshold, bool higher_is_better, double alpha);

// The threshold that applies to `name`: the last matching override, else the
// default. The one place overrides are resolved, for every gate.
double ThresholdFor(const CompareOptions& options, const std::string& name);

// The threshold with the benchmark's calibrated noise floor applied:
// max(threshold, expm1(noise_k * noise)).
struct GateThreshold {
  double requested = 0;
  double effective = 0;
  double noise = -1;  // -1: not calibrated
  std::string note;   // when the floor raised it
};
GateThreshold GateThresholdFor(const CompareOptions& options, const std::string& name);

// The values of `metric` in each repetition; "real_time"/"cpu_time" in ns.
std::vector<double> MetricValues(const BenchmarkResult& b, const std::string& metric);
bool HigherIsBetter(const std::string& metric);  // *_per_second counters

// fnmatch-style glob with '*' and '?'.
bool GlobMatch(const std::string& pattern, const std::string& text);

}  // namespace perfkit::report
