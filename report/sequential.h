// The sequential gate: more repetitions only for the benchmarks still
// undecided, looked at after every round, with error rates that hold however
// often it looks and whenever it stops.
//
// Method (the README's statistics section says it for users): per benchmark,
// the evidence against "the mean log change is m" is the Bayes factor of a
// t-test whose prior puts the standardized change ~ N(0, 1/rho) and the noise
// scale under the scale-invariant prior (Lai 1976; Gönen et al. 2005). Under
// that null it is a nonnegative martingale that starts at 1, so by Ville's
// inequality it ever reaches 1/alpha with probability at most alpha: the m it
// has not excluded form a confidence sequence, valid at every look at once.
// Each of its bounds is one-sided (the prior's half on the null's side is
// dropped), as the fixed gate's 90% interval has 95% one-sided bounds.
// REGRESSION: the evidence against "the change is at most the threshold",
// as an anytime-valid p-value (1 / its largest value so far), is significant
// after Benjamini-Hochberg across the benchmarks; IMPROVEMENT mirrored; NO
// CHANGE: the confidence sequence lies inside +-threshold (equivalence).
// Assumes log times are normal around their mean, independent between
// repetitions; heavy tails make it conservative rather than wrong.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "report/compare.h"

namespace perfkit::report {

// Prior precision of the standardized change: the confidence sequence is
// narrowest around 10-40 observations, where gates on 1-10% noise decide.
inline constexpr double kSequentialRho = 2.0;

// The Bayes factor for a t statistic with `df` degrees of freedom and
// effective sample size n_eff (n paired, 1/(1/n1 + 1/n2) for two samples).
double MixtureEvidence(double t, double n_eff, double df, double rho = kSequentialRho);

// The same with the prior's half that points away from the null given up:
// evidence that the change exceeds m (t > 0 when the data lean that way),
// about twice the two-sided evidence there. Tests of "at most the threshold"
// and the bounds of the confidence sequence use it.
double OneSidedEvidence(double t, double n_eff, double df, double rho = kSequentialRho);
// The t at which it reaches 1/alpha; infinity while it cannot.
double OneSidedBoundary(double n_eff, double df, double alpha, double rho = kSequentialRho);

// Student's t distribution function.
double StudentTCdf(double t, double dof);

struct SequentialOptions {
  CompareOptions compare;  // metric, alpha, thresholds, noise floors
  // true: values come in old/new pairs from one round (perfkit ab); false:
  // a fixed base sample (a stored run) against a growing candidate.
  bool paired = false;
  double rho = kSequentialRho;
};

class SequentialGate {
 public:
  explicit SequentialGate(SequentialOptions options);

  // The base's values (two-sample mode) for one benchmark; the candidate's
  // arrive with AddCandidate. Non-positive or non-finite values are dropped.
  void SetBase(const std::string& name, const std::vector<double>& values);
  void AddCandidate(const std::string& name, double value);
  void AddPair(const std::string& name, double old_value, double new_value);

  // Decides what the data so far can decide; a decided benchmark keeps its
  // verdict (it gets no more repetitions).
  void Look();

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
    double e_worse = 0, e_better = 0;                          // largest evidence seen
    bool decided = false;
    Verdict verdict = Verdict::kInconclusive;
    size_t decided_at = 0;
  };
  Bench& Get(const std::string& name);
  size_t Repetitions(const Bench& b) const;  // the smaller side's count
  size_t Taken(const Bench& b) const;        // the candidate's (rounds, paired)
  void Update(Bench& b) const;

  // 1 / the largest evidence seen, per benchmark: valid however often looked at.
  struct PValues {
    std::vector<double> worse, better;
  };
  PValues AnytimePValues() const;
  // OneSidedBoundary for (n_eff, df): every benchmark at one round shares it.
  double Boundary(double n_eff, double df) const;

  SequentialOptions options_;
  bool higher_is_better_;
  mutable std::map<std::pair<double, double>, double> boundaries_;
  std::vector<Bench> benchmarks_;
  std::map<std::string, size_t> index_;
};

}  // namespace perfkit::report
