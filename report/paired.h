// Statistics for A/B runs in alternating rounds (ABBA): each round gives one
// old and one new value per benchmark, taken close together in time, so
// their log ratio cancels the machine's drift. The sign test on those ratios
// is exact and assumes nothing about their distribution.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "report/compare.h"

namespace perfkit::report {

struct PairedSamples {
  std::string name;
  std::vector<double> old_values;  // one per round, same order as new_values
  std::vector<double> new_values;
};

// Rounds with a value missing on either side are dropped. Fewer than
// kMinRepetitions rounds give INCONCLUSIVE.
Comparison ComparePaired(const std::vector<PairedSamples>& samples, const CompareOptions& options);

// Exact one-sided sign test: P(at least k of n positive) under p = 1/2.
double SignTestUpper(int positives, int n);

// NoiseFloors from repeated runs of one build (A/A): for every pair of runs,
// the Hodges-Lehmann shift of log values; the floor is their root mean square.
std::map<std::string, double> NoiseFloors(const std::vector<RunRecord>& runs,
                                          const std::string& metric);

}  // namespace perfkit::report
