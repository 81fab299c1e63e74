// The sequential gate's statistics: the evidence and its boundary agree,
// the confidence sequence covers the truth at every look at once (Ville),
// and the gate's verdicts follow the data in both metric directions.
#include "report/sequential.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "report/stats_selftest.h"

namespace perfkit::report {
namespace {

TEST(Sequential, BoundaryIsWhereTheEvidenceReachesOneOverAlpha) {
  // With 4 paired rounds or fewer, no evidence can reach 20 at this prior.
  EXPECT_TRUE(std::isinf(OneSidedBoundary(4, 3, 0.05)));
  for (double n : {5.0, 10.0, 20.0, 200.0}) {
    const double t = OneSidedBoundary(n, n - 1, 0.05);
    ASSERT_TRUE(std::isfinite(t)) << n;
    EXPECT_NEAR(OneSidedEvidence(t, n, n - 1), 20.0, 1e-3) << n;
    EXPECT_LT(MixtureEvidence(0, n, n - 1), 1.0);  // no change is evidence for the null
    // Giving up the wrong side's half of the prior about doubles the evidence.
    EXPECT_NEAR(OneSidedEvidence(3, n, n - 1) / MixtureEvidence(3, n, n - 1), 2, 0.2) << n;
  }
  // The boundary falls with more data, towards the fixed-sample one.
  EXPECT_GT(OneSidedBoundary(10, 9, 0.05), OneSidedBoundary(100, 99, 0.05));
  EXPECT_GT(OneSidedBoundary(1000, 999, 0.05), 1.645);
}

TEST(Sequential, StudentTDistribution) {
  EXPECT_DOUBLE_EQ(StudentTCdf(0, 5), 0.5);
  EXPECT_NEAR(StudentTCdf(1, 1), 0.75, 1e-12);  // Cauchy
  EXPECT_NEAR(StudentTCdf(2.262157, 9), 0.975, 1e-6);
  EXPECT_NEAR(StudentTCdf(2, 3), 0.930337, 1e-6);
  EXPECT_NEAR(StudentTCdf(-2, 3), 1 - 0.930337, 1e-6);
  EXPECT_NEAR(StudentTCdf(1.644854, 1e6), 0.95, 1e-5);
}

// Ville's inequality: streams of pure noise whose evidence against their
// true mean (or, one-sided, against a mean at or above the truth) ever
// reaches 1/alpha, looking after every observation, are at most alpha of
// all streams.
double ShareEverCrossing(double true_mean, bool one_sided) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(true_mean, 1);
  int crossed = 0;
  const int streams = 2000;
  for (int s = 0; s < streams; ++s) {
    double mean = 0, m2 = 0;
    for (int n = 1; n <= 150; ++n) {
      const double x = noise(rng), delta = x - mean;
      mean += delta / n;
      m2 += delta * (x - mean);
      if (n < 2) continue;
      const double t = mean / std::sqrt(m2 / (n - 1) / n);  // against a mean of 0
      if ((one_sided ? OneSidedEvidence(t, n, n - 1) : MixtureEvidence(t, n, n - 1)) >= 20) {
        ++crossed;
        break;
      }
    }
  }
  return static_cast<double>(crossed) / streams;
}

TEST(Sequential, LookingAfterEveryObservationKeepsTheErrorRate) {
  EXPECT_LE(ShareEverCrossing(0, false), 0.05);
  EXPECT_LE(ShareEverCrossing(0, true), 0.05);
  EXPECT_LE(ShareEverCrossing(-0.2, true), 0.01);  // further inside the null: rarer still
  EXPECT_GE(ShareEverCrossing(0.5, true), 0.9);    // and a real change is found
}

TEST(Sequential, PairedRoundsDecideRegressionsNoChangeAndThroughputs) {
  SequentialOptions options;
  options.paired = true;
  SequentialGate gate(options);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 0.01);
  for (int round = 0; round < 12; ++round) {
    gate.AddPair("same", 100 * std::exp(noise(rng)), 100 * std::exp(noise(rng)));
    gate.AddPair("slower", 100 * std::exp(noise(rng)), 130 * std::exp(noise(rng)));
    gate.AddPair("faster", 100 * std::exp(noise(rng)), 70 * std::exp(noise(rng)));
    gate.AddPair("exact", 50, 50);
  }
  gate.Look();
  EXPECT_TRUE(gate.Undecided().empty());
  const Comparison c = gate.Result("budget");
  std::map<std::string, Verdict> verdicts;
  for (const auto& b : c.benchmarks) verdicts[b.name] = b.verdict;
  EXPECT_EQ(verdicts["same"], Verdict::kNoChange);
  EXPECT_EQ(verdicts["exact"], Verdict::kNoChange);
  EXPECT_EQ(verdicts["slower"], Verdict::kRegression);
  EXPECT_EQ(verdicts["faster"], Verdict::kImprovement);

  options.compare.metric = "bytes_per_second";  // higher is better: lower is a regression
  SequentialGate throughput(options);
  for (int round = 0; round < 12; ++round) {
    throughput.AddPair("slower", 100 * std::exp(noise(rng)), 70 * std::exp(noise(rng)));
  }
  throughput.Look();
  EXPECT_EQ(throughput.Result("").benchmarks[0].verdict, Verdict::kRegression);
}

TEST(Sequential, TooFewRepetitionsAreNeverJudged) {
  SequentialGate gate(SequentialOptions{});
  gate.SetBase("b", {100, 101, 99});
  for (double v : {150.0, 151.0, 149.0, 150.0, 152.0, 150.0}) gate.AddCandidate("b", v);
  gate.Look();
  const Comparison c = gate.Result("the budget");
  EXPECT_EQ(c.benchmarks[0].verdict, Verdict::kInconclusive);
  EXPECT_TRUE(c.insufficient_data);
}

TEST(Sequential, SimulatedSuitesKeepFalseAlarmsRareAndCatchABigSlowdown) {
  SequentialSimulation sim;
  sim.cv = 0.03;
  sim.suites = 60;
  sim.benchmarks = 20;
  sim.slowdowns = {0.03, 0.20};
  const auto r = SimulateSequential(sim);
  EXPECT_LE(r.sequential.false_alarm_rate, 0.05);
  EXPECT_LE(r.sequential.detection_rates[0], 0.05);
  EXPECT_GE(r.sequential.detection_rates[1], 0.95);
  EXPECT_GE(r.sequential.no_change_rate, 0.9);
}

}  // namespace
}  // namespace perfkit::report
