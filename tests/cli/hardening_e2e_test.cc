// The built binary under faults a user meets: killed with SIGKILL at random
// moments, run from a directory it may not write, and calibrating a suite
// whose peers need the static-TLS re-execution.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "baselines/store.h"
#include "subsystems/base/subprocess.h"
#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

// Repetitions run in interleaved rounds, each committed as it finishes: a
// run killed at any moment holds, for every benchmark, rounds 0..n-1 with n
// differing by at most one between benchmarks (the round in flight).
void ExpectWholeRounds(const RunRecord& run) {
  size_t least = SIZE_MAX, most = 0;
  for (const BenchmarkResult& b : run.benchmarks) {
    for (size_t i = 0; i < b.samples.size(); ++i) {
      EXPECT_EQ(b.samples[i].repetition_index, static_cast<int64_t>(i)) << b.name;
    }
    least = std::min(least, b.samples.size());
    most = std::max(most, b.samples.size());
  }
  EXPECT_LE(most - least, 1u) << "run " << run.id;
}

TEST(Hardening, RunsKilledAtRandomMomentsLeaveAConsistentStore) {
  TempDir dir;
  const std::string db = dir.File("perfkit.db");
  std::mt19937 rng(20261129);
  std::uniform_int_distribution<int> moment_ms(5, 600);
  int abandoned = 0;
  for (int i = 0; i < 20; ++i) {
    SpawnOptions bench;
    bench.argv = {PerfkitBinary(), "bench", "--suite",    "crc32", "--filter", "/(64|4096)$",
                  "--repetitions", "50",    "--min-time", "0.002", "--db",     db};
    bench.out = Redirect::kNull;
    bench.err = Redirect::kNull;
    auto process = SystemLauncher().Spawn(bench);
    ASSERT_TRUE(process.ok()) << process.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(moment_ms(rng)));
    (*process)->Signal(SIGKILL);
    ASSERT_TRUE((*process)->Wait().ok());

    auto store = store::Store::Open(db, store::OpenMode::kReadOnly);
    if (!store.ok()) {
      // Killed before the schema's first commit: nothing may be half there.
      EXPECT_NE(store.error().find("no database"), std::string::npos) << store.error();
      continue;
    }
    EXPECT_EQ(*(*store)->IntegrityCheck(), "ok") << "kill " << i;
    auto runs = (*store)->ListRuns(100);
    ASSERT_TRUE(runs.ok());
    for (const store::RunListing& l : *runs) {
      EXPECT_NE(l.run.status, RunStatus::kRunning) << "run " << l.run.id << " of a dead process";
      auto run = (*store)->LoadRun(std::to_string(l.run.id));
      ASSERT_TRUE(run.ok());
      ExpectWholeRounds(*run);
    }
    if (!runs->empty() && runs->front().run.status == RunStatus::kAbandoned) ++abandoned;
  }
  EXPECT_GE(abandoned, 10) << "most kills should land while a run is measuring";
  auto shown = RunCommand({PerfkitBinary(), "runs", "--db", db});
  EXPECT_NE(shown.out.find("abandoned"), std::string::npos) << shown.out;
  auto compare = RunCommand({PerfkitBinary(), "compare", "1", "2", "--db", db});
  EXPECT_NE(compare.err.find("was abandoned (its process died before it finished)"),
            std::string::npos)
      << compare.err;
}

// As an unprivileged user in a directory it may only read: read-only
// commands work and create nothing.
TEST(Hardening, ReadOnlyCommandsWorkInAReadOnlyDirectory) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
  if (RunCommand({"/bin/sh", "-c", "command -v setpriv"}).exit_code != 0) {
    GTEST_SKIP() << "setpriv (util-linux) is not installed";
  }
  TempDir dir;
  const std::string db = dir.File("perfkit.db");
  ASSERT_EQ(RunCommand({PerfkitBinary(), "import", SourceDir() + "/tests/golden/gbench_1_7.json",
                        "--db", db})
                .exit_code,
            0);
  std::filesystem::permissions(
      dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                      std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                      std::filesystem::perms::others_exec);
  std::filesystem::permissions(db, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  const std::vector<std::string> as_nobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                              "--clear-groups", PerfkitBinary()};
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = as_nobody;
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, "/");
  };
  auto runs = run({"runs", "--db", db});
  if (runs.err.find("Permission denied") != std::string::npos &&
      runs.err.find(PerfkitBinary()) != std::string::npos) {
    GTEST_SKIP() << "the build directory is not readable by nobody: " << runs.err;
  }
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_NE(runs.out.find("import"), std::string::npos) << runs.out;
  EXPECT_EQ(run({"export", "latest", "--db", db}).exit_code, 0);
  EXPECT_EQ(run({"compare", "1", "1", "--db", db}).exit_code, 4);  // 3 repetitions a side
  EXPECT_EQ(run({"baseline", "list", "--db", db}).exit_code, 0);
  auto none = run({"runs", "--db", dir.File("none.db")});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    files.push_back(e.path().filename().string());
  }
  EXPECT_EQ(files, std::vector<std::string>{"perfkit.db"});
}

// jemalloc's static TLS is declared by the slab suite, so calibrate gets the
// re-execution too and measures that peer instead of skipping it.
TEST(Hardening, CalibrateRunsTheSlabSuitesJemallocPeer) {
  TempDir dir;
  auto r =
      RunCommand({PerfkitBinary(), "calibrate", "--suite", "slab", "--filter",
                  "pair/(slab|jemalloc)/64$", "--runs", "2", "--quick", "--db", dir.File("p.db")});
  if (r.err.find("jemalloc: not installed") != std::string::npos) {
    GTEST_SKIP() << "jemalloc is not installed: " << r.err;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("skipping slab/jemalloc"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("slab/pair/jemalloc/64"), std::string::npos) << r.out;
}

// A smaller CPU made with PERFKIT_DISABLE_CPU_FEATURES gets a glibc choosing
// its string functions for that CPU too (bench re-executes itself once).
TEST(Hardening, BenchHidesDisabledFeaturesFromGlibcToo) {
  TempDir dir;
  auto r = RunCommand({"/usr/bin/env", "PERFKIT_DISABLE_CPU_FEATURES=avx512f", PerfkitBinary(),
                       "bench", "--suite", "memops", "--filter", "memops/copy/glibc/64$", "--quick",
                       "--db", dir.File("p.db")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("chosen as on a CPU without avx512f (glibc.cpu.hwcaps=-AVX512F,"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("memops/copy/glibc/64"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace perfkit::testing
