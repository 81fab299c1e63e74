// The platform suite as a user runs it, in quick mode only to prove every
// group runs and ends in a claim line (a ratio or the reason there is none);
// what the ratios are is judged from benchmark runs, not here.
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

TEST(PlatformSuite, QuickRunOfOneBenchmarkPairPerGroup) {
  TempDir dir;
  const std::string filter =
      "flag-uncontended/(lock-xchg|atomic-exchange)|wake/(pause|yield)/1us|false-sharing-xadd/"
      "(same-line|pad64)|min-random|prefetch-random/dist(0|8)/|pointer-chase|tlb/|numa|"
      "buffers4k/(pool|malloc)|(serialize|field-access)/|spawn-first-insn/(fork|posix)|"
      "first-touch|startup/";
  auto r = RunCommand({PerfkitBinary(), "bench", "--suite", "platform", "--quick", "--filter",
                       filter, "--db", dir.File("p.db")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t claims = r.out.find("What the guides claim, measured here:");
  ASSERT_NE(claims, std::string::npos) << r.out;
  const std::string lines = r.out.substr(claims);
  for (const char* topic :
       {"cold-start flag, set, uncontended: ", "spin-wait, 1 us: ", "false sharing, lock xadd: ",
        "branches, random data: ", "prefetching a random gather: ", "pointer chasing: ",
        "huge pages, random reads over 256 MiB: ", "huge pages, MAP_HUGETLB: ", "NUMA: ",
        "4 KiB buffers: ", "zero-copy serialize: ", "zero-copy field access: ",
        "cold start to the first instruction: ", "first touch of 64 MiB: "}) {
    const size_t at = lines.find(topic);
    ASSERT_NE(at, std::string::npos) << topic << "\n" << lines;
    const std::string line = lines.substr(at, lines.find('\n', at) - at);
    // A measured ratio, or the reason there is none; never an empty claim.
    EXPECT_TRUE(line.find("x faster") != std::string::npos ||
                line.find("x slower") != std::string::npos ||
                line.find("x the loop without") != std::string::npos ||
                line.find("not measured: ") != std::string::npos)
        << line;
    EXPECT_NE(line.find("(claim: "), std::string::npos) << line;
  }
  // The start-up target with the floor a C++ program stands on beside it.
  const size_t startup = lines.find("start-up: perfkit --version takes ");
  ASSERT_NE(startup, std::string::npos) << lines;
  const std::string line = lines.substr(startup, lines.find('\n', startup) - startup);
  EXPECT_NE(line.find("a C++ program that only prints its name (perfkit-hello-cxx) takes "),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("(target: <= 2x)"), std::string::npos) << line;
}

TEST(PlatformSuite, SysinfoShowsWhatTheSuiteDependsOn) {
  auto r = RunCommand({PerfkitBinary(), "sysinfo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* row : {"\ncaches ", "\ntlbs ", "\npause ", "\nhuge pages "}) {
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  }
}

// Which engine runs at each size, and that it follows the CPU features
// perfkit may use.
TEST(PlatformSuite, SysinfoAndListNameTheEngineUsedAtEachSize) {
  auto r = RunCommand({PerfkitBinary(), "sysinfo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* row : {"\ncrc32 engine ", "\ncrc32c engine ", "\nmemops engine "}) {
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  }
  auto scalar = RunCommand(
      {"env", "PERFKIT_DISABLE_CPU_FEATURES=sse4.2,pclmulqdq", PerfkitBinary(), "sysinfo"});
  ASSERT_EQ(scalar.exit_code, 0) << scalar.err;
  EXPECT_NE(scalar.out.find("crc32c engine          slice8 (all sizes"), std::string::npos)
      << scalar.out;
  auto list = RunCommand({PerfkitBinary(), "list", "--suite", "crc32"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("  used here: crc32c: "), std::string::npos) << list.out;
}

}  // namespace
}  // namespace perfkit::testing
