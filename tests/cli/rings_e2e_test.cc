// The rings and io suites as a user runs them, in quick mode only to prove
// they work end to end (a peer process started and ended, results stored);
// their speed is judged from benchmark runs, not here.
#include <gtest/gtest.h>

#include "baselines/store.h"
#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

TEST(RingsSuite, QuickRunAcrossThreadsAndProcesses) {
  TempDir dir;
  auto r =
      RunCommand({PerfkitBinary(), "bench", "--suite", "rings", "--quick", "--filter",
                  "spsc/ours|spsc-bulk/boost|mpmc-1p1c/ours|ipc/(shm|pipe)/65536|ipc-rtt/shm/64",
                  "--db", dir.File("p.db")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* row : {"rings/spsc/ours/1", "rings/mpmc-1p1c/ours/8", "rings/ipc/shm/65536",
                          "rings/ipc/pipe/65536"}) {
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  }
  auto store = store::Store::Open(dir.File("p.db"), store::OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok());
  auto run = (*store)->LoadRun("latest");
  ASSERT_TRUE(run.ok());
  for (const BenchmarkResult& b : run->benchmarks) {
    if (b.name.rfind("rings/ipc", 0) == 0) {
      EXPECT_TRUE(b.error.empty()) << b.name << ": " << b.error;
      EXPECT_EQ(b.samples.size(), 3u) << b.name;
    }
  }
}

TEST(RingsSuite, ThePeerRefusesADescriptorThatIsNoChannel) {
  auto r = RunCommand({PerfkitBinary(), "rings", "peer", "--fd", "0"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err.rfind("perfkit rings peer: ", 0), 0u) << r.err;
}

TEST(IoSuite, QuickRunOfEveryEngineOrTheReasonItCannot) {
  TempDir dir;
  auto r = RunCommand({"env", "PERFKIT_IO_DIR=" + dir.path(), PerfkitBinary(), "bench", "--suite",
                       "io", "--quick", "--filter", "randread-qd(1|8)/", "--db", dir.File("p.db")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("io/randread-qd1/pread/4096"), std::string::npos) << r.out;
  const bool uring = r.out.find("io/randread-qd8/uring/4096") != std::string::npos;
  EXPECT_TRUE(uring || r.err.find("skipping io/uring") != std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace perfkit::testing
