// Steps in a history: found where they are, not where noise alone is, and
// reported in the history section with the run they start at.
#include "report/changepoints.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "report/history.h"

namespace perfkit::report {
namespace {

std::vector<double> Noisy(size_t n, double cv, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, cv);
  std::vector<double> v;
  for (size_t i = 0; i < n; ++i) v.push_back(100 * std::exp(noise(rng)));
  return v;
}

TEST(ChangePoints, NoiseAloneHasNoStep) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    EXPECT_TRUE(FindChangePoints(Noisy(200, 0.01, seed)).empty()) << seed;
  }
  EXPECT_TRUE(FindChangePoints({100, 120, 100}).empty());  // too short to hold a step
}

TEST(ChangePoints, FindsEachStepAndItsSize) {
  std::vector<double> v = Noisy(300, 0.01, 7);
  for (size_t i = 120; i < v.size(); ++i) v[i] *= 1.08;
  for (size_t i = 250; i < v.size(); ++i) v[i] *= 0.90;
  const auto steps = FindChangePoints(v);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_NEAR(static_cast<double>(steps[0].index), 120, 2);
  EXPECT_NEAR(steps[0].change(), 0.08, 0.01);
  EXPECT_NEAR(static_cast<double>(steps[1].index), 250, 2);
  EXPECT_NEAR(steps[1].change(), -0.10, 0.01);
  // A step below the reporting floor is found but not reported.
  std::vector<double> small = Noisy(300, 0.001, 3);
  for (size_t i = 150; i < small.size(); ++i) small[i] *= 1.01;
  EXPECT_TRUE(FindChangePoints(small, 0.02).empty());
  EXPECT_EQ(FindChangePoints(small, 0.005).size(), 1u);
}

TEST(HistoryReport, ListsStepsAndSummarisesLongHistories) {
  ReportInput in;
  in.history_glob = "crc32/*";
  const std::vector<double> v = Noisy(500, 0.01, 11);
  for (size_t i = 0; i < v.size(); ++i) {
    const double median = v[i] * (i >= 400 ? 1.08 : 1.0);
    in.history.push_back({static_cast<int64_t>(1000 + i), "2026-12-0" + std::to_string(1 + i / 100),
                          "crc32/crc32c/sse42/4096", median, median * 0.98, median * 1.03, "h",
                          i >= 400 ? "abc1234def" : "0123456789"});
  }
  const auto steps = HistorySteps(in.history);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].run_id, 1400);
  const std::string md = HistoryMarkdown(in, "");
  EXPECT_NE(md.find("`crc32/crc32c/sse42/4096` got 8."), std::string::npos) << md;
  EXPECT_NE(md.find("% slower at run 1400 (abc1234def, 2026-12-05)"), std::string::npos) << md;
  EXPECT_NE(md.find("| `crc32/crc32c/sse42/4096` | 500 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| 1000 |"), std::string::npos) << "500 runs are not listed one by one";
}

}  // namespace
}  // namespace perfkit::report
