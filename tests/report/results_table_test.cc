#include "report/results_table.h"

#include <gtest/gtest.h>

namespace perfkit::report {
namespace {

BenchmarkResult Bench(const std::string& name, Role role, std::vector<double> times) {
  BenchmarkResult b;
  b.name = name;
  b.role = role;
  for (size_t i = 0; i < times.size(); ++i) {
    Sample s;
    s.repetition_index = static_cast<int64_t>(i);
    s.real_time_ns = times[i];
    b.samples.push_back(s);
  }
  return b;
}

TEST(ResultsTable, SplitName) {
  auto p = SplitName("crc32/crc32c/hybrid/4096");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->group, "crc32/crc32c/*/4096");
  EXPECT_EQ(p->impl, "hybrid");
  EXPECT_FALSE(SplitName("BM_memcpy/64"));
  auto three = SplitName("virtio/randread-4k-qd1/perfkit");
  ASSERT_TRUE(three);
  EXPECT_EQ(three->group, "virtio/randread-4k-qd1/*");
  EXPECT_EQ(three->impl, "perfkit");
  EXPECT_FALSE(SplitName("a/b/"));
  EXPECT_FALSE(SplitName("a/b/c/d/e"));
}

TEST(ResultsTable, RatioAgainstTheBestPeer) {
  RunRecord run;
  run.benchmarks = {Bench("s/op/ours/64", Role::kOurs, {10, 11, 9}),
                    Bench("s/op/slow/64", Role::kOurs, {40, 40, 40}),
                    Bench("s/op/peer1/64", Role::kPeer, {20, 20, 20}),
                    Bench("s/op/peer2/64", Role::kPeer, {15, 15, 15}),
                    Bench("s/op/ours/128", Role::kOurs, {30})};
  const auto rows = BuildResultRows(run);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_DOUBLE_EQ(rows[0].median_ns, 10);
  ASSERT_TRUE(rows[0].vs_best_peer);
  EXPECT_DOUBLE_EQ(*rows[0].vs_best_peer, 1.5);
  EXPECT_EQ(rows[0].best_peer, "peer2");
  EXPECT_DOUBLE_EQ(*rows[1].vs_best_peer, 15.0 / 40.0);
  EXPECT_FALSE(rows[2].vs_best_peer);
  EXPECT_FALSE(rows[4].vs_best_peer);  // no peer at 128
  const auto ratios = BuildPeerRatios(run);
  ASSERT_EQ(ratios.size(), 1u);
  EXPECT_EQ(ratios[0].best_ours, "ours");
  EXPECT_DOUBLE_EQ(ratios[0].ratio, 1.5);
}

// The in-repo baseline (the buddy allocator against the slab) is not "ours"
// for the best engine, and gets a column and the documents' wording.
TEST(ResultsTable, OurBestAgainstOurBaseline) {
  RunRecord run;
  run.benchmarks = {Bench("slab/pair/slab/64", Role::kOurs, {950}),
                    Bench("slab/pair/buddy/64", Role::kBaseline, {28000}),
                    Bench("slab/pair/glibc/64", Role::kPeer, {1900})};
  const auto rows = BuildResultRows(run);
  ASSERT_TRUE(rows[0].vs_baseline);
  EXPECT_NEAR(*rows[0].vs_baseline, 29.47, 0.01);
  EXPECT_EQ(rows[0].baseline, "buddy");
  EXPECT_DOUBLE_EQ(*rows[0].vs_best_peer, 2.0);  // the baseline is not the best of ours
  const auto base = BuildBaselineRatios(run);
  ASSERT_EQ(base.size(), 1u);
  EXPECT_EQ(AgainstBaseline(base[0].ours_ns, base[0].baseline_ns),
            "950.00 ns vs 28.00 us: 96.6% lower, 29.5x faster");
  EXPECT_EQ(AgainstBaseline(120, 100), "120.00 ns vs 100.00 ns: 20.0% higher, 1.20x slower");
  EXPECT_EQ(RoleName(Role::kBaseline), std::string("baseline"));
  EXPECT_EQ(ParseRole("baseline"), Role::kBaseline);
}

}  // namespace
}  // namespace perfkit::report
