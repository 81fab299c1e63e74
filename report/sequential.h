// The sequential gate: more repetitions only for the benchmarks still
// undecided, looked at after the first block and each time the count
// doubles, with error rates that hold whichever look it stops at.
//
// Method (the README's statistics section says it for users): a group-
// sequential t-test on the mean log change with Pocock's constant nominal
// level over the planned looks (group_sequential.h). At each look the
// interval estimate +- t * se at that level holds, at every look at once,
// with probability 1 - 2 alpha (Jennison and Turnbull's repeated confidence
// intervals), each bound one-sided at alpha as the fixed gate's 90% interval.
// REGRESSION: the test of "the change is at most the threshold", as a
// repeated p-value, is significant after Benjamini-Hochberg across the
// benchmarks; IMPROVEMENT mirrored; NO CHANGE: the interval lies inside
// +-threshold (equivalence). A look the budget forces between planned ones
// becomes the last planned look. Assumes log times are normal around their
// mean and independent between repetitions; heavy tails make it conservative.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "report/compare.h"
#include "report/group_sequential.h"

namespace perfkit::report {

// The most repetitions (rounds) a benchmark gets by default: looks after 5,
// 10, 20, 40 and 80 decide a 10% slowdown on 5% noise in 19 of 20 suites of
// 50 benchmarks, and most A/A benchmarks by the third look.
inline constexpr int kSequentialCap = 80;

struct SequentialOptions {
  CompareOptions compare;  // metric, alpha, thresholds, noise floors
  // true: values come in old/new pairs from one round (perfkit ab); false:
  // a fixed base sample (a stored run) against a growing candidate.
  bool paired = false;
  // The planned looks (PlannedLooks): the first block and the cap, counted
  // in the candidate's repetitions (rounds, paired).
  int first_look = static_cast<int>(kMinRepetitions);
  int last_look = kSequentialCap;
};

class SequentialGate {
 public:
  explicit SequentialGate(SequentialOptions options);

  // The base's values (two-sample mode) for one benchmark; the candidate's
  // arrive with AddCandidate. Non-positive or non-finite values are dropped.
  void SetBase(const std::string& name, const std::vector<double>& values);
  void AddCandidate(const std::string& name, double value);
  void AddPair(const std::string& name, double old_value, double new_value);

  // Decides what the benchmarks that reached their next planned look can
  // decide; a decided benchmark keeps its verdict (it gets no more
  // repetitions). Call it after every round.
  void Look();
  // The last look, when the budget or the cap ends the rounds: every
  // benchmark with data since its last look is judged once more, this look
  // taking the place of the planned ones still to come.
  void LastLook();

  std::vector<std::string> Undecided() const;
  size_t decided() const;
  size_t size() const { return benchmarks_.size(); }
  // The most repetitions (rounds, paired) any benchmark's candidate has.
  size_t MostRepetitions() const;

  // Every benchmark with its verdict; the undecided are INCONCLUSIVE, with
  // the interval they reached and `why` (the budget that ended).
  Comparison Result(const std::string& why) const;

 private:
  // Running mean and sum of squared deviations (Welford): a look costs the
  // same after 5 repetitions as after 500.
  struct Moments {
    size_t n = 0;
    double mean = 0, m2 = 0;
    void Add(double x);
  };
  struct Bench {
    std::string name;
    std::vector<double> base, candidate;  // raw values, for the medians
    Moments base_log, candidate_log, diff_log;
    double threshold = 0, effective_threshold = 0, noise = -1;
    std::string note;
    double estimate = 0, lower = -INFINITY, upper = INFINITY;  // log(candidate / base)
    // The smallest nominal one-sided p-values seen at its looks.
    double nominal_worse = 1, nominal_better = 1;
    std::vector<int> looks;                         // the counts it was judged at
    const GroupSequentialDesign* design = nullptr;  // of those looks and the ones to come
    bool decided = false;
    Verdict verdict = Verdict::kInconclusive;
    size_t decided_at = 0;
  };
  Bench& Get(const std::string& name);
  size_t Repetitions(const Bench& b) const;  // the smaller side's count
  size_t Taken(const Bench& b) const;        // the candidate's (rounds, paired)
  double Information(const Bench& b, int n) const;
  // Judges b at its current count; `last`: no planned look comes after.
  void Judge(Bench& b, bool last);
  // Benjamini-Hochberg over every benchmark's repeated p-values: they only
  // fall as evidence grows, so what was rejected stays rejected.
  void Reject();

  // Repeated p-values per benchmark: valid whichever look the data stop at.
  struct PValues {
    std::vector<double> worse, better;
  };
  PValues RepeatedPValues() const;
  // The design's boundary for `df`: every benchmark at one look shares it.
  double Boundary(const GroupSequentialDesign& design, double df);

  SequentialOptions options_;
  bool higher_is_better_;
  std::vector<int> planned_;
  std::map<std::pair<double, double>, double> boundaries_;
  std::vector<Bench> benchmarks_;
  std::map<std::string, size_t> index_;
};

}  // namespace perfkit::report
