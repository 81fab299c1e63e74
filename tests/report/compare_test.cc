// The gate on constructed runs: verdict rules, thresholds, noise floors,
// metric direction, environment checks and the paired A/B statistics.
#include "report/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "report/env_guard.h"
#include "report/paired.h"

namespace perfkit::report {
namespace {

RunRecord MakeRun(const std::vector<std::pair<std::string, double>>& benchmarks, int reps,
                  double cv, unsigned seed, double bytes = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, cv);
  RunRecord run;
  for (const auto& [name, center] : benchmarks) {
    BenchmarkResult b;
    b.name = name;
    for (int i = 0; i < reps; ++i) {
      Sample s;
      s.repetition_index = i;
      s.real_time_ns = center * std::exp(noise(rng));
      s.cpu_time_ns = s.real_time_ns;
      if (bytes > 0) s.counters["bytes_per_second"] = bytes / s.real_time_ns * 1e9;
      b.samples.push_back(s);
    }
    run.benchmarks.push_back(b);
  }
  return run;
}

const BenchmarkComparison& Find(const Comparison& c, const std::string& name) {
  for (const auto& b : c.benchmarks) {
    if (b.name == name) return b;
  }
  static BenchmarkComparison none;
  ADD_FAILURE() << name;
  return none;
}

TEST(Compare, TenPercentSlowdownIsARegression) {
  const auto base = MakeRun({{"a", 100}, {"b", 200}, {"c", 300}}, 10, 0.01, 1);
  const auto cand = MakeRun({{"a", 110}, {"b", 200}, {"c", 300}}, 10, 0.01, 2);
  auto c = Compare(base, cand, {});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(Find(*c, "a").verdict, Verdict::kRegression);
  EXPECT_NEAR(Find(*c, "a").ratio, 1.10, 0.02);
  EXPECT_GE(Find(*c, "a").ratio_lower, 1.05);
  EXPECT_EQ(Find(*c, "b").verdict, Verdict::kNoChange);
  EXPECT_EQ(Find(*c, "c").verdict, Verdict::kNoChange);
  EXPECT_EQ(c->counts.at(Verdict::kRegression), 1);
  EXPECT_GT(c->geomean, 1.0);
}

TEST(Compare, ImprovementMirrorsRegression) {
  const auto base = MakeRun({{"a", 100}}, 10, 0.01, 1);
  const auto cand = MakeRun({{"a", 85}}, 10, 0.01, 2);
  auto c = Compare(base, cand, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->benchmarks[0].verdict, Verdict::kImprovement);
}

TEST(Compare, FewerThanFiveRepetitionsIsNeverAVerdict) {
  const auto base = MakeRun({{"a", 100}}, 3, 0.001, 1);
  const auto cand = MakeRun({{"a", 200}}, 3, 0.001, 2);
  auto c = Compare(base, cand, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->benchmarks[0].verdict, Verdict::kInconclusive);
  EXPECT_TRUE(c->insufficient_data);
}

// With one repetition a side a benchmark has a ratio but no interval: the
// summary's mean must agree with its rows and say the interval is unbounded.
TEST(Compare, OneRepetitionSummaryAgreesWithItsRows) {
  const auto base = MakeRun({{"a", 100}}, 1, 0.0, 1);
  const auto cand = MakeRun({{"a", 79.4}}, 1, 0.0, 2);
  auto c = Compare(base, cand, {});
  ASSERT_TRUE(c.ok());
  EXPECT_NEAR(Find(*c, "a").ratio, 0.794, 1e-9);
  EXPECT_NEAR(c->geomean, 0.794, 1e-9);
  EXPECT_FALSE(std::isfinite(c->geomean_upper));
}

TEST(Compare, NoisyButUnchangedIsInconclusiveNotARegression) {
  const auto base = MakeRun({{"a", 100}}, 10, 0.20, 1);
  const auto cand = MakeRun({{"a", 100}}, 10, 0.20, 2);
  auto c = Compare(base, cand, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->benchmarks[0].verdict, Verdict::kInconclusive);
  EXPECT_FALSE(c->insufficient_data);
}

TEST(Compare, ThroughputMetricsAreBetterWhenHigher) {
  const auto base = MakeRun({{"a", 100}}, 10, 0.01, 1, 4096);
  const auto cand = MakeRun({{"a", 115}}, 10, 0.01, 2, 4096);
  CompareOptions o;
  o.metric = "bytes_per_second";
  auto c = Compare(base, cand, o);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->higher_is_better);
  EXPECT_LT(c->benchmarks[0].ratio, 1.0);
  EXPECT_EQ(c->benchmarks[0].verdict, Verdict::kRegression);
}

TEST(Compare, ThresholdOverridesByGlob) {
  const auto base = MakeRun({{"crc32/a", 100}, {"other/a", 100}}, 10, 0.002, 1);
  const auto cand = MakeRun({{"crc32/a", 103}, {"other/a", 103}}, 10, 0.002, 2);
  CompareOptions o;
  o.threshold_overrides = {{"crc32/*", 0.01}};
  auto c = Compare(base, cand, o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Find(*c, "crc32/a").verdict, Verdict::kRegression);
  EXPECT_EQ(Find(*c, "other/a").verdict, Verdict::kNoChange);
}

TEST(Compare, NoiseFloorRaisesTheGateAndSaysSo) {
  const auto base = MakeRun({{"a", 100}}, 10, 0.005, 1);
  const auto cand = MakeRun({{"a", 110}}, 10, 0.005, 2);
  CompareOptions o;
  o.noise["a"] = std::log(1.08);  // 8% between runs of one build
  auto c = Compare(base, cand, o);
  ASSERT_TRUE(c.ok());
  const auto& b = c->benchmarks[0];
  EXPECT_NEAR(b.effective_threshold, 1.08 * 1.08 - 1, 1e-9);
  EXPECT_NE(b.verdict, Verdict::kRegression);  // 10% is inside 2 x 8% noise
  EXPECT_NE(b.note.find("noise floor"), std::string::npos);
  EXPECT_GT(b.min_detectable_effect, b.effective_threshold);
}

TEST(Compare, ErrorsWithNothingInCommonOrAnUnknownMetric) {
  const auto a = MakeRun({{"a", 100}}, 10, 0.01, 1);
  const auto b = MakeRun({{"b", 100}}, 10, 0.01, 2);
  EXPECT_FALSE(Compare(a, b, {}).ok());
  CompareOptions o;
  o.metric = "instructions";
  auto c = Compare(a, a, o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("instructions"), std::string::npos);
}

TEST(Compare, GlobMatch) {
  EXPECT_TRUE(GlobMatch("crc32/*", "crc32/crc32c/sse42/64"));
  EXPECT_TRUE(GlobMatch("*/64", "crc32/crc32c/sse42/64"));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("crc32/*/4096", "crc32/crc32c/sse42/64"));
}

TEST(EnvGuard, NamesWhatDiffersAndWhatIsUnknown) {
  HostContext a, b;
  a.cpu_model = b.cpu_model = "AMD EPYC";
  a.kernel = "Linux 6.1";
  b.kernel = "Linux 6.8";
  a.governor = b.governor = "performance";
  a.boost = b.boost = "off";
  a.aslr = b.aslr = "on";
  a.build_flags = b.build_flags = "-O3";
  a.build_type = "Release";
  b.build_type = "Debug";
  const EnvCheck check = CheckEnvironments(a, b);
  ASSERT_EQ(check.differences.size(), 2u);
  EXPECT_EQ(check.differences[0].field, "kernel");
  EXPECT_EQ(check.differences[1].field, "build_type");
  HostContext imported;
  imported.cpu_model = "unknown (imported)";
  EXPECT_FALSE(CheckEnvironments(a, imported).unknown.empty());
  EXPECT_TRUE(CheckEnvironments(a, imported).differences.empty());
}

TEST(Paired, SignTestExactValues) {
  EXPECT_DOUBLE_EQ(SignTestUpper(10, 10), 1.0 / 1024);
  EXPECT_DOUBLE_EQ(SignTestUpper(0, 10), 1.0);
  EXPECT_NEAR(SignTestUpper(8, 10), 56.0 / 1024, 1e-15);
}

TEST(Paired, ConsistentSlowdownAcrossRoundsIsARegression) {
  std::mt19937 rng(3);
  std::normal_distribution<double> drift(0, 0.10);  // the machine wanders a lot
  std::normal_distribution<double> jitter(0, 0.005);
  std::vector<PairedSamples> samples(2);
  samples[0].name = "slower";
  samples[1].name = "same";
  for (int r = 0; r < 16; ++r) {
    const double machine = std::exp(drift(rng));  // shared by both sides of a round
    samples[0].old_values.push_back(100 * machine * std::exp(jitter(rng)));
    samples[0].new_values.push_back(110 * machine * std::exp(jitter(rng)));
    samples[1].old_values.push_back(100 * machine * std::exp(jitter(rng)));
    samples[1].new_values.push_back(100 * machine * std::exp(jitter(rng)));
  }
  const Comparison c = ComparePaired(samples, {});
  EXPECT_EQ(c.benchmarks[0].verdict, Verdict::kRegression);
  EXPECT_EQ(c.benchmarks[1].verdict, Verdict::kNoChange);
}

TEST(Paired, NoiseFloorsFromRepeatedRuns) {
  std::vector<RunRecord> runs;
  for (unsigned i = 0; i < 4; ++i)
    runs.push_back(MakeRun({{"quiet", 100}, {"noisy", 100}}, 10, 0, i));
  // Shift whole runs of "noisy" by +-5%, leave "quiet" exact.
  const double shifts[] = {1.05, 0.95, 1.05, 0.95};
  for (size_t i = 0; i < runs.size(); ++i) {
    for (auto& s : runs[i].benchmarks[1].samples) s.real_time_ns *= shifts[i];
  }
  const auto floors = NoiseFloors(runs, "real_time");
  EXPECT_NEAR(floors.at("quiet"), 0.0, 1e-12);
  EXPECT_GT(floors.at("noisy"), 0.05);
  EXPECT_LT(floors.at("noisy"), 0.11);
}

}  // namespace
}  // namespace perfkit::report
