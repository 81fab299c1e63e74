// The sequential gate end to end: `ab --rounds auto` stops once a real
// slowdown (a build doing twice the work) is decided, `--inconclusive fail`
// turns "could not tell" into exit 4, and `bench --until-decided` gates a new
// run against a saved baseline. Thresholds are wide where the machine's
// noise (two busy neighbours) must not decide the outcome.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

std::string Toy(const std::string& name) { return BinaryDir() + "/bin/" + name; }

TEST(SequentialGate, AbRoundsAutoCatchesATwofoldSlowdownAndStops) {
  auto ab = RunCommand({PerfkitBinary(), "ab", Toy("toy_benchmark"), Toy("toy_benchmark_slow"),
                        "--rounds", "auto", "--max-repetitions", "30", "--threshold", "20%",
                        "--metric", "cpu_time", "--min-time", "0.01", "--format", "json"});
  ASSERT_EQ(ab.exit_code, 1) << ab.out << ab.err;
  const auto j = nlohmann::json::parse(ab.out);
  ASSERT_EQ(j["benchmarks"].size(), 2u);
  for (const auto& b : j["benchmarks"]) {
    EXPECT_EQ(b["verdict"], "REGRESSION") << b.dump();
    EXPECT_LT(b["n_base"].get<int>(), 30) << "decided before the budget: " << b.dump();
  }
  EXPECT_NE(j["summary"]["method"].get<std::string>().find("sequential: 2 of 2 decided"),
            std::string::npos);
}

TEST(SequentialGate, InconclusiveFailIsExitFourAndPassIsZero) {
  // At alpha 0.01% five rounds leave every interval wider than +-0.1% and
  // than the systematic difference between two processes of one build (0.5%
  // at 64 B here), so every benchmark stays undecided: no NO CHANGE, and no
  // REGRESSION either, which alpha 5% could find beyond 0.1%.
  const std::vector<std::string> ab = {
      PerfkitBinary(), "ab",    Toy("toy_benchmark"), Toy("toy_benchmark"),
      "--rounds",      "auto",  "--max-repetitions",  "5",
      "--threshold",   "0.1%",  "--min-time",         "0.005",
      "--alpha",       "0.0001"};
  auto pass = RunCommand(ab);
  EXPECT_EQ(pass.exit_code, 0) << pass.out << pass.err;
  EXPECT_NE(pass.out.find("2 inconclusive"), std::string::npos) << pass.out;
  EXPECT_NE(pass.out.find("--max-repetitions 5 reached"), std::string::npos) << pass.out;
  auto with_fail = ab;
  with_fail.insert(with_fail.end(), {"--inconclusive", "fail"});
  auto fail = RunCommand(with_fail);
  EXPECT_EQ(fail.exit_code, 4) << fail.out << fail.err;
}

TEST(SequentialGate, BenchUntilDecidedGatesAgainstABaseline) {
  TempDir dir;
  const std::string db = dir.File("perfkit.db");
  const std::vector<std::string> bench = {
      PerfkitBinary(), "bench", "--suite", "crc32", "--filter", "crc32c/(sse42|slice8)/4096$",
      "--min-time",    "0.005", "--db",    db};
  auto first = bench;
  first.insert(first.end(), {"--repetitions", "8"});
  ASSERT_EQ(RunCommand(first).exit_code, 0);
  ASSERT_EQ(RunCommand({PerfkitBinary(), "baseline", "save", "main", "--db", db}).exit_code, 0);
  // Two processes of one build can differ by a third here (a stored base
  // meets the machine as it was then): a 300% threshold leaves the verdicts
  // to the mechanism, not the machine. CPU time, since with busy neighbours
  // wall time is mostly waiting.
  auto gated = bench;
  gated.insert(gated.end(), {"--until-decided", "main", "--threshold", "300%", "--metric",
                             "cpu_time", "--max-repetitions", "30"});
  auto r = RunCommand(gated);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 no change"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sequential: 2 of 2 decided, up to 5 repetitions"), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("stored run 2"), std::string::npos) << r.err;

  auto missing = bench;
  missing.insert(missing.end(), {"--until-decided", "no-such-baseline"});
  EXPECT_EQ(RunCommand(missing).exit_code, 3);
  TempDir empty;
  auto nowhere = RunCommand({PerfkitBinary(), "bench", "--suite", "crc32", "--until-decided",
                             "main", "--db", empty.File("new.db")});
  EXPECT_EQ(nowhere.exit_code, 3) << nowhere.err;
  EXPECT_NE(nowhere.err.find("there are no runs at"), std::string::npos) << nowhere.err;
  EXPECT_FALSE(std::filesystem::exists(empty.File("new.db")));
}

}  // namespace
}  // namespace perfkit::testing
