// Claim lines printed after a suite's results: what a guide (or a target)
// says, and the ratio this machine measured between the two benchmarks
// that test it.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "suites/suite.h"

namespace perfkit::suites {

// A claim's result with only its line: a figure asked for, no target.
ClaimResult Said(const std::string& topic, std::string text);
// Not measurable here, with why: "TOPIC: not measured: REASON".
ClaimResult Unmeasured(const std::string& topic, const std::string& reason,
                       const std::string& claim = "");
// A lower-case id from a topic: "cold-start-flag-set-uncontended".
std::string ClaimSlug(const std::string& topic);

// "TOPIC: A takes X, B takes Y: A is N.NNx faster (claim: CLAIM)", from
// the medians of benchmarks `a` and `b`; "TOPIC: not measured: ..." with
// the reason when either failed or was skipped. With `a_claimed_faster`,
// the claim is met when A is faster; otherwise the ratio is only measured.
Claim Ratio(const std::string& topic, const std::string& a, const std::string& b,
            const std::string& a_label, const std::string& b_label, const std::string& claim,
            bool a_claimed_faster = true);
// "TOPIC: 29.1 GB/s, 100% of BOUND (29.2 GB/s: HOW) (target: >= 95%)":
// benchmark `ours` against a bound measured beside it, both moving `bytes`
// per iteration; met when ours runs at `target_percent` of the bound's speed.
Claim ShareOfBound(const std::string& topic, const std::string& ours, const std::string& bound,
                   double bytes, const std::string& bound_text, const std::string& how,
                   const std::string& unit, double target_percent);
// For a group the suite could not offer on this machine at all.
Claim NotMeasured(const std::string& topic, const std::string& reason, const std::string& claim);
// Why the first of `names` that failed did, or "".
std::string FirstError(const Measured& m, std::initializer_list<std::string> names);

// "TOPIC: A is 1.10x as fast as B [0.98, 1.21] (n=5/5): no significant
// difference": the ratio of median times with a 95% bootstrap interval,
// and an effect claimed only when the interval excludes 1.
Claim IntervalRatio(const std::string& topic, const std::string& a, const std::string& b,
                    const std::string& a_label, const std::string& b_label);
// The interval itself: of median(b) / median(a) over resamples of both.
struct Interval {
  double ratio = 0, low = 0, high = 0;
};
Interval BootstrapRatio(const std::vector<double>& a, const std::vector<double>& b);

std::string FormatNs(double ns);

}  // namespace perfkit::suites
