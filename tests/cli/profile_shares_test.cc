// The profiler's attribution, checked against a workload that spends
// 70/20/10% of its time in three functions by construction. It runs alone
// (RUN_SERIAL): with other tests on the same two CPUs, preemption skews
// timer-driven samples by more than the tolerance.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

TEST(ProfileShares, ProfileFindsTheWorkloadsSharesWithCompleteStacks) {
  TempDir dir;
  const std::string workload =
      std::filesystem::path(PerfkitBinary()).parent_path() / "profile_workload";
  auto r = RunCommand(
      {PerfkitBinary(), "profile", "-o", dir.File("out.folded"), "--", workload, "8000"});
  if (r.exit_code != 0 && r.err.find("perf_event_open") != std::string::npos) {
    GTEST_SKIP() << "this machine does not allow perf_event_open: " << r.err;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex("([0-9]+) samples of ([a-z-]+)"))) << r.err;
  const uint64_t samples = std::stoull(m[1]);
  ASSERT_GT(samples, 300u);
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex("thread start: ([0-9.]+)%")));
  EXPECT_GE(std::stod(m[1]), 95.0) << r.err;

  const std::string folded = ReadFileOrDie(dir.File("out.folded"));
  std::istringstream lines(folded);
  uint64_t total = 0;
  std::map<std::string, uint64_t> self;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_TRUE(std::regex_match(line, std::regex("^.+ [0-9]+$"))) << line;
    const size_t space = line.rfind(' ');
    const uint64_t n = std::stoull(line.substr(space + 1));
    total += n;
    const std::string stack = line.substr(0, space);
    self[stack.substr(stack.rfind(';') + 1)] += n;
  }
  EXPECT_EQ(total, samples);
  const auto share = [&](const std::string& f) { return 100.0 * self[f] / total; };
  EXPECT_NEAR(share("(anonymous namespace)::Seventy(unsigned long)"), 70, 5) << r.out;
  EXPECT_NEAR(share("(anonymous namespace)::Twenty(unsigned long)"), 20, 5) << r.out;
  EXPECT_NEAR(share("(anonymous namespace)::Ten(unsigned long)"), 10, 5) << r.out;
}

}  // namespace
}  // namespace perfkit::testing
