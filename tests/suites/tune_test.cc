// perfkit tune's choices from measured times: the fastest engine per band,
// with hysteresis against noise, and where streaming wins for good.
#include "suites/tune.h"

#include <gtest/gtest.h>

#include "suites/harness/host_context.h"

namespace perfkit::suites {
namespace {

TEST(Tune, BandsFollowTheFastestEngineWithHysteresis) {
  const std::map<size_t, std::map<std::string, double>> ns = {
      {8, {{"slice8", 5}, {"pclmul", 9}, {"vpclmul", 9}}},
      {64, {{"slice8", 30}, {"pclmul", 10}, {"vpclmul", 10.2}}},    // within 3%: pclmul stays
      {256, {{"slice8", 120}, {"pclmul", 30}, {"vpclmul", 29.5}}},  // within 3%: pclmul stays
      {4096, {{"slice8", 2000}, {"pclmul", 300}, {"vpclmul", 150}}},
  };
  const std::vector<TunedBand> want = {{0, "slice8"}, {64, "pclmul"}, {4096, "vpclmul"}};
  EXPECT_EQ(ChooseBands(ns, "pclmul"), want);
  // Where the default is within the noise of the fastest, it takes the band.
  const std::vector<TunedBand> preferred = {{0, "slice8"}, {64, "vpclmul"}};
  EXPECT_EQ(ChooseBands(ns, "vpclmul"), preferred);
  EXPECT_EQ(ChooseBands({{8, {{"sse42", 1}}}}, "sse42"), (std::vector<TunedBand>{{0, "sse42"}}));
}

TEST(Tune, StreamingStartsWhereItWinsForGood) {
  EXPECT_EQ(ChooseStreamFrom({{1, 0.5}, {2, 1.2}, {4, 0.9}, {8, 1.1}, {16, 1.6}}), 8u);
  EXPECT_EQ(ChooseStreamFrom({{1, 1.1}, {2, 1.2}}), 1u);
  EXPECT_EQ(ChooseStreamFrom({{1, 1.1}, {2, 0.99}}), kNeverStream);
  EXPECT_EQ(ChooseStreamFrom({{1, 1.1}, {2, 1.01}}), kNeverStream);  // even is not a win
  EXPECT_EQ(ChooseStreamFrom({}), kNeverStream);
}

// A tuning is found by the fingerprint runs are stored with, read without
// measuring anything.
TEST(Tune, TheCheapFingerprintIsTheRunsOne) {
  EXPECT_EQ(harness::HostFingerprint(), harness::ReadHostContext().fingerprint);
}

}  // namespace
}  // namespace perfkit::suites
