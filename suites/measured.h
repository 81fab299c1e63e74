// What a run measured, as the suites' claims read it, and the claims
// themselves: apart from suite.h so that printing a claim does not pull in
// Google Benchmark.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "results/result.h"

namespace perfkit::suites {

// What a run measured, by benchmark name: the median time (ns per
// iteration) of those that ran, and why the others failed or were skipped.
struct Measured {
  std::map<std::string, double> medians;
  std::map<std::string, std::vector<double>> times;  // every repetition's, ns per iteration
  std::map<std::string, std::map<std::string, double>> counters;  // each counter's median
  std::map<std::string, std::string> errors;
};
// A claim from the performance guides, checked against a run: its line
// (what this machine measured or why it could not), figure, target and
// status, or nothing when the run did not include the benchmarks it needs
// (filtered out).
using Claim = std::function<std::optional<ClaimResult>(const Measured&)>;

}  // namespace perfkit::suites
