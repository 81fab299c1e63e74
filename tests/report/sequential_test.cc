// The sequential gate's statistics: its designs match the published
// constants, looking at every planned look keeps the error rate, and the
// gate's verdicts follow the data in both metric directions.
#include "report/sequential.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "report/group_sequential.h"
#include "report/mann_whitney.h"
#include "report/stats_selftest.h"

namespace perfkit::report {
namespace {

TEST(Sequential, LooksDoubleFromTheFirstBlockToTheCap) {
  EXPECT_EQ(PlannedLooks(5, 60), (std::vector<int>{5, 10, 20, 40, 60}));
  EXPECT_EQ(PlannedLooks(10, 60), (std::vector<int>{10, 20, 40, 60}));
  EXPECT_EQ(PlannedLooks(5, 40), (std::vector<int>{5, 10, 20, 40}));
  EXPECT_EQ(PlannedLooks(5, 5), (std::vector<int>{5}));
}

TEST(Sequential, PococksConstantsFromTheTables) {
  // Jennison and Turnbull, table 2.1: equally spaced looks, two-sided 5%
  // (one-sided 2.5% here: the far side's crossings are negligible).
  const double two = -NormalQuantile(SharedDesign({1, 2}, 0.025).nominal());
  const double five = -NormalQuantile(SharedDesign({1, 2, 3, 4, 5}, 0.025).nominal());
  EXPECT_NEAR(two, 2.178, 0.003);
  EXPECT_NEAR(five, 2.413, 0.003);
  // One look is the fixed test.
  EXPECT_NEAR(SharedDesign({7}, 0.05).nominal(), 0.05, 1e-5);
  // The repeated p-value at the nominal level is the design's alpha, and it
  // grows with the smallest nominal p-value.
  const GroupSequentialDesign& d = SharedDesign({5, 10, 20, 40, 60}, 0.05);
  EXPECT_NEAR(d.RepeatedP(d.nominal()), 0.05, 5e-4);
  EXPECT_LT(d.RepeatedP(0.001), d.RepeatedP(0.002));
  EXPECT_GE(d.RepeatedP(0.001), 0.001);
  EXPECT_LE(d.RepeatedP(0.001), 0.005);  // Bonferroni over five looks
  EXPECT_EQ(d.RepeatedP(0.7), 1);
}

TEST(Sequential, StudentTDistribution) {
  EXPECT_DOUBLE_EQ(StudentTCdf(0, 5), 0.5);
  EXPECT_NEAR(StudentTCdf(1, 1), 0.75, 1e-12);  // Cauchy
  EXPECT_NEAR(StudentTCdf(2.262157, 9), 0.975, 1e-6);
  EXPECT_NEAR(StudentTCdf(2, 3), 0.930337, 1e-6);
  EXPECT_NEAR(StudentTCdf(-2, 3), 1 - 0.930337, 1e-6);
  EXPECT_NEAR(StudentTCdf(1.644854, 1e6), 0.95, 1e-5);
  EXPECT_NEAR(StudentTQuantile(0.975, 9), 2.262157, 1e-6);
  EXPECT_NEAR(StudentTQuantile(0.025, 9), -2.262157, 1e-6);
}

// Streams of pure noise tested against their true mean (or, one-sided,
// against a mean at or above the truth) at every planned look: the share
// that ever crosses the design's t boundary is its alpha, not more.
double ShareEverCrossing(double true_mean) {
  const std::vector<int> looks = PlannedLooks(5, 60);
  std::vector<double> information(looks.begin(), looks.end());
  const GroupSequentialDesign& design = SharedDesign(information, 0.05);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(true_mean, 1);
  int crossed = 0;
  const int streams = 4000;
  for (int s = 0; s < streams; ++s) {
    double mean = 0, m2 = 0;
    size_t next = 0;
    for (int n = 1; n <= looks.back(); ++n) {
      const double x = noise(rng), delta = x - mean;
      mean += delta / n;
      m2 += delta * (x - mean);
      if (n != looks[next]) continue;
      ++next;
      const double t = mean / std::sqrt(m2 / (n - 1) / n);  // against a mean of 0
      if (t >= design.Boundary(n - 1)) {
        ++crossed;
        break;
      }
    }
  }
  return static_cast<double>(crossed) / streams;
}

TEST(Sequential, LookingAtEveryPlannedLookKeepsTheErrorRate) {
  const double at_the_null = ShareEverCrossing(0);
  EXPECT_LE(at_the_null, 0.05 + 0.01);       // 3 standard errors of 4000 streams
  EXPECT_GE(at_the_null, 0.05 - 0.015);      // and spends most of it
  EXPECT_LE(ShareEverCrossing(-0.2), 0.01);  // further inside the null: rarer still
  EXPECT_GE(ShareEverCrossing(0.5), 0.9);    // and a real change is found
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
