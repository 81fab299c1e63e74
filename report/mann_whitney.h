// Rank statistics for two independent samples: the Mann-Whitney U test and
// the Hodges-Lehmann shift with its distribution-free confidence interval.
// Small samples without ties use the exact null distribution of U; otherwise
// the normal approximation with tie and continuity corrections (as scipy's
// mannwhitneyu does).
#pragma once

#include <vector>

namespace perfkit::report {

struct MannWhitney {
  double u = 0;  // U of y: pairs with y > x, ties counting 1/2
  double p_two_sided = 1;
  double p_greater = 1;  // H1: y tends to be larger than x
  double p_less = 1;     // H1: y tends to be smaller than x
  bool exact = false;
};

MannWhitney MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y);

struct ShiftEstimate {
  double shift = 0;  // median of all y_j - x_i
  double lower = 0;  // confidence interval at `confidence`
  double upper = 0;
};

// Hodges-Lehmann estimate of the shift y - x with the Moses interval, whose
// ranks come from the null distribution of U.
ShiftEstimate HodgesLehmann(const std::vector<double>& x, const std::vector<double>& y,
                            double confidence);

// Benjamini-Hochberg adjusted p-values, in the input's order.
std::vector<double> BenjaminiHochberg(const std::vector<double>& p);

// Standard normal survival function and its inverse.
double NormalSf(double z);
double NormalQuantile(double p);

namespace internal {
// P(U <= u) under H0 for sample sizes n, m without ties.
double ExactUCdf(int n, int m, int u);
}  // namespace internal

}  // namespace perfkit::report
