// Reference values from scipy 1.10.1 (Debian 12's python3-scipy):
//   scipy.stats.mannwhitneyu(y, x, alternative=..., method="exact"|"asymptotic")
//   scipy.stats._mannwhitneyu._mwu_state.cdf(u, n, m)
// Hodges-Lehmann intervals: sorted pairwise differences with the interval
// index taken from that exact cdf (the Moses construction).
#include "report/mann_whitney.h"

#include <gtest/gtest.h>

#include <cmath>

namespace perfkit::report {
namespace {

TEST(MannWhitney, ExactSmallSampleMatchesScipy) {
  const std::vector<double> x = {10.1, 10.4, 9.8, 10.0, 10.2};
  const std::vector<double> y = {11.0, 10.9, 11.3, 10.7, 11.1};
  const MannWhitney r = MannWhitneyU(x, y);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 25.0);
  EXPECT_NEAR(r.p_greater, 0.003968253968253968, 1e-15);  // 1/252
  EXPECT_NEAR(r.p_two_sided, 0.0079365079365079361, 1e-15);
  EXPECT_NEAR(r.p_less, 0.99999999999999978, 1e-12);
}

TEST(MannWhitney, AsymptoticWithTiesMatchesScipy) {
  const std::vector<double> x = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
  const std::vector<double> y = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
  const MannWhitney r = MannWhitneyU(x, y);
  EXPECT_FALSE(r.exact);  // y has ties
  EXPECT_DOUBLE_EQ(r.u, 23.0);
  EXPECT_NEAR(r.p_two_sided, 0.13291945818531892, 1e-12);
  EXPECT_NEAR(r.p_greater, 0.94420440028971275, 1e-12);
  EXPECT_NEAR(r.p_less, 0.066459729092659459, 1e-12);
}

TEST(MannWhitney, ExactNullDistributionMatchesScipy) {
  EXPECT_NEAR(internal::ExactUCdf(5, 5, 2), 0.015873015873015872, 1e-15);
  EXPECT_NEAR(internal::ExactUCdf(5, 5, 0), 0.003968253968253968, 1e-15);
  EXPECT_DOUBLE_EQ(internal::ExactUCdf(5, 5, 25), 1.0);
  EXPECT_DOUBLE_EQ(internal::ExactUCdf(3, 4, -1), 0.0);
}

TEST(HodgesLehmann, ShiftAndMosesIntervalMatchReference) {
  const std::vector<double> x = {3.1, 2.9, 3.3, 3.0, 3.2, 2.8, 3.4, 3.05};
  const std::vector<double> y = {3.6, 3.5, 3.9, 3.4, 3.7, 3.8, 3.55};
  const ShiftEstimate e95 = HodgesLehmann(x, y, 0.95);
  EXPECT_NEAR(e95.shift, 0.525, 1e-12);
  EXPECT_NEAR(e95.lower, 0.30, 1e-12);
  EXPECT_NEAR(e95.upper, 0.80, 1e-12);
  const ShiftEstimate e90 = HodgesLehmann(x, y, 0.90);
  EXPECT_NEAR(e90.lower, 0.35, 1e-12);
  EXPECT_NEAR(e90.upper, 0.70, 1e-12);
}

TEST(HodgesLehmann, TooFewValuesGiveAnUnboundedInterval) {
  const ShiftEstimate e = HodgesLehmann({1.0, 2.0}, {3.0, 4.0}, 0.95);
  EXPECT_TRUE(std::isinf(e.lower));
  EXPECT_TRUE(std::isinf(e.upper));
}

// Benjamini & Hochberg (1995), section 4: fifteen p-values; at q = 0.05 the
// procedure rejects the four smallest. Adjusted values by the step-up rule.
TEST(BenjaminiHochberg, TextbookExample) {
  const std::vector<double> p = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
                                 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000};
  const std::vector<double> want = {
      0.0015,        0.003,         0.0095,       0.035625,     0.0603,
      0.06385714286, 0.06385714286, 0.0645,       0.0765,       0.486,
      0.5811818182,  0.714875,      0.7532307692, 0.8132142857, 1};
  const auto adj = BenjaminiHochberg(p);
  int rejected = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_NEAR(adj[i], want[i], 1e-9) << i;
    rejected += adj[i] < 0.05;
  }
  EXPECT_EQ(rejected, 4);
  // Order does not matter.
  EXPECT_NEAR(BenjaminiHochberg({0.04, 0.01})[0], 0.04, 1e-15);
  EXPECT_NEAR(BenjaminiHochberg({0.04, 0.01})[1], 0.02, 1e-15);
}

TEST(Normal, QuantileInvertsTheSurvivalFunction) {
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.95), 1.6448536269514722, 1e-9);
  for (double p : {1e-6, 0.01, 0.3, 0.5, 0.9, 0.999}) {
    EXPECT_NEAR(NormalSf(-NormalQuantile(p)), p, 1e-9 * std::max(1.0, p));
  }
}

}  // namespace
}  // namespace perfkit::report
