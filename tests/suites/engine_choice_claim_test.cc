// The crc32 suite's engine-choice line: another engine of ours counts as
// faster at a size only when the repetitions show it beyond the noise.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "subsystems/crc32/crc32.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

// The CRC-32 engine-choice line for a run that measured the picked engine
// and slice8 (always available) at 1 KiB only.
ClaimResult ChoiceLine(const std::vector<double>& picked, const std::vector<double>& slice8) {
  const std::string picked_name(crc32::EngineAt(crc32::Kind::kCrc32, 1024).name);
  Measured m;
  m.times["crc32/crc32/" + picked_name + "/1024"] = picked;
  m.times["crc32/crc32/slice8/1024"] = slice8;
  for (const SuiteEntry& entry : AllSuites()) {
    if (entry.name != "crc32") continue;
    for (const Claim& claim : MakeSuite(entry).claims) {
      const std::optional<ClaimResult> r = claim(m);
      if (r && r->id == "crc-32-engine-choice") return *r;
    }
  }
  ADD_FAILURE() << "no CRC-32 engine-choice line";
  return {};
}

TEST(EngineChoiceClaim, AFasterEngineBeyondTheNoiseIsNamed) {
  if (crc32::EngineAt(crc32::Kind::kCrc32, 1024).name == "slice8") GTEST_SKIP() << "slice8 picked";
  const ClaimResult r = ChoiceLine({110, 111, 109, 110, 112}, {100, 101, 99, 100, 102});
  EXPECT_EQ(r.status, ClaimStatus::kNotMet) << r.text;
  EXPECT_NE(r.text.find("more than 5% slower than slice8 at 1 KiB (1.10x"), std::string::npos)
      << r.text;
}

TEST(EngineChoiceClaim, AMedianWithinTheNoiseIsNotAVerdict) {
  if (crc32::EngineAt(crc32::Kind::kCrc32, 1024).name == "slice8") GTEST_SKIP() << "slice8 picked";
  // slice8's median is 10% lower, but the two samples overlap throughout.
  const ClaimResult r = ChoiceLine({80, 110, 140, 95, 125}, {70, 100, 130, 90, 135});
  EXPECT_EQ(r.status, ClaimStatus::kMet) << r.text;
  EXPECT_NE(r.text.find("none other 5% faster"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("within the noise (95% interval includes 1x): slice8 at 1 KiB"),
            std::string::npos)
      << r.text;
}

TEST(EngineChoiceClaim, TheFastestIsMet) {
  const ClaimResult r = ChoiceLine({100, 101, 99}, {300, 310, 290});
  EXPECT_EQ(r.status, ClaimStatus::kMet) << r.text;
  EXPECT_EQ(r.text.find("within the noise"), std::string::npos) << r.text;
}

}  // namespace
}  // namespace perfkit::suites
