// Lines for the platform suite's claims: what a guide says, and the ratio
// this machine measured between the two benchmarks that test it.
#pragma once

#include <initializer_list>
#include <string>

#include "suites/suite.h"

namespace perfkit::suites {

// "TOPIC: A takes X, B takes Y: A is N.NNx faster (claim: CLAIM)", from
// the medians of benchmarks `a` and `b`; "TOPIC: not measured: ..." with
// the reason when either failed or was skipped.
Claim Ratio(const std::string& topic, const std::string& a, const std::string& b,
            const std::string& a_label, const std::string& b_label, const std::string& claim);
// For a group the suite could not offer on this machine at all.
Claim NotMeasured(const std::string& topic, const std::string& reason, const std::string& claim);
// Why the first of `names` that failed did, or "".
std::string FirstError(const Measured& m, std::initializer_list<std::string> names);

std::string FormatNs(double ns);

}  // namespace perfkit::suites
