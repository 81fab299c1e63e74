// What `perfkit profile` shows about processes and threads, on real
// programs run by the test: the command keeps stdout, stacks are rooted at
// the process whatever its threads are called, threads apart on request,
// every thread of a running process sampled, kernel frames named where the
// kernel shows them. Only shapes are checked, never shares a busy machine
// moves.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

std::string Workload() {
  return (std::filesystem::path(PerfkitBinary()).parent_path() / "profile_workload").string();
}

// Samples by the first ROOTS frames of each folded stack.
std::map<std::string, uint64_t> ByRoot(const std::string& folded, int roots) {
  std::map<std::string, uint64_t> out;
  std::istringstream lines(folded);
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.rfind(' ');
    std::string key;
    size_t at = 0;
    for (int i = 0; i < roots; ++i) {
      const size_t semi = line.find(';', at);
      key += (i ? ";" : "") + line.substr(at, std::min(semi, space) - at);
      at = semi + 1;
    }
    out[key] += std::stoull(line.substr(space + 1));
  }
  return out;
}

bool Refused(const CommandResult& r) {
  return r.exit_code != 0 && r.err.find("perf_event_open") != std::string::npos;
}

// A C program written into DIR and built there with `cc FLAGS`; the
// compiler's complaint when there is none.
std::string Build(const TempDir& dir, const std::string& name, const std::string& source,
                  const std::string& flags) {
  std::ofstream(dir.File(name + ".c")) << source;
  auto cc = RunCommand({"cc", flags, "-g", "-o", dir.File(name), dir.File(name + ".c")});
  return cc.exit_code == 0 ? "" : "no C compiler: " + cc.err;
}

TEST(ProfileView, TheCommandKeepsStdoutAndTheTableGoesToStderr) {
  auto r = RunCommand({PerfkitBinary(), "profile", "--", "/bin/sh", "-c",
                       Workload() + " 300 && printf 'the command'"});
  if (Refused(r)) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "the command");
  EXPECT_NE(r.err.find("self%"), std::string::npos) << r.err;
  auto to_stdout =
      RunCommand({PerfkitBinary(), "profile", "--table", "-", "--", Workload(), "300"});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(to_stdout.out.rfind("  self%", 0), 0u) << to_stdout.out;
}

// A worker that renames itself must not rename the process: every stack of
// one run starts at the program, whatever thread was seen last.
TEST(ProfileView, StacksAreRootedAtTheProcessAndThreadsApartOnRequest) {
  TempDir dir;
  auto r = RunCommand(
      {PerfkitBinary(), "profile", "-o", dir.File("p.folded"), "--", Workload(), "threads", "1"});
  if (Refused(r)) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto roots = ByRoot(ReadFileOrDie(dir.File("p.folded")), 1);
  ASSERT_EQ(roots.size(), 1u) << ReadFileOrDie(dir.File("p.folded"));
  EXPECT_EQ(roots.begin()->first, "profile_workloa");  // comm keeps 15 characters
  // The same profile against itself: nothing moved.
  auto same =
      RunCommand({PerfkitBinary(), "profile", "diff", dir.File("p.folded"), dir.File("p.folded")});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_FALSE(std::regex_search(same.out, std::regex("[+-][1-9][0-9.]* points"))) << same.out;

  auto threads = RunCommand({PerfkitBinary(), "profile", "--by", "thread", "-o",
                             dir.File("t.folded"), "--", Workload(), "threads", "1"});
  ASSERT_EQ(threads.exit_code, 0) << threads.err;
  std::set<std::string> names;
  for (const auto& [key, n] : ByRoot(ReadFileOrDie(dir.File("t.folded")), 2)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(key, m, std::regex(R"(profile_workloa \[\d+\];(.+) \[tid \d+\])")))
        << key;
    names.insert(m[1]);
  }
  EXPECT_EQ(names, (std::set<std::string>{"profile_workloa", "worker"}));

  // By library: the workload's own code is one frame named after its file.
  auto dso = RunCommand({PerfkitBinary(), "profile", "--by", "dso", "-o", dir.File("d.folded"),
                         "--", Workload(), "300"});
  ASSERT_EQ(dso.exit_code, 0) << dso.err;
  const std::string by_file = ReadFileOrDie(dir.File("d.folded"));
  EXPECT_NE(by_file.find(";profile_workload"), std::string::npos) << by_file;
  EXPECT_EQ(by_file.find("Seventy"), std::string::npos) << by_file;
}

// -p: the threads that exist when perfkit attaches are sampled, not only
// the one whose id is the pid.
TEST(ProfileView, AttachingSamplesEveryThreadOfARunningProcess) {
  TempDir dir;
  const std::string script = Workload() + " threads 4 > " + dir.File("ready") +
                             " & p=$!; while [ ! -s " + dir.File("ready") +
                             " ]; do sleep 0.05; done; " + PerfkitBinary() +
                             " profile -p $p --duration 1 --by thread -o " + dir.File("p.folded") +
                             "; s=$?; kill $p; wait $p; exit $s";
  auto r = RunCommand({"/bin/sh", "-c", script});
  if (Refused(r)) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> threads;
  for (const auto& [key, n] : ByRoot(ReadFileOrDie(dir.File("p.folded")), 2)) {
    threads.insert(key.substr(key.find(';') + 1, key.find(" [tid") - key.find(';') - 1));
  }
  EXPECT_TRUE(threads.count("worker")) << ReadFileOrDie(dir.File("p.folded"));
  EXPECT_TRUE(threads.count("profile_workloa")) << ReadFileOrDie(dir.File("p.folded"));
}

TEST(ProfileView, KernelFramesAreNamedOrWhyNot) {
  TempDir dir;
  // dd's reads of /dev/zero spend their time in the kernel.
  auto r = RunCommand({PerfkitBinary(), "profile", "--children", "-o", dir.File("k.folded"), "--",
                       "dd", "if=/dev/zero", "of=/dev/null", "bs=64k", "count=20000"});
  if (Refused(r)) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string folded = ReadFileOrDie(dir.File("k.folded"));
  if (r.err.find("kernel frames are not named") != std::string::npos) {
    EXPECT_NE(folded.find("[kernel]"), std::string::npos);
    return;
  }
  if (folded.find(";[kernel]") != std::string::npos) {
    ADD_FAILURE() << "a kernel frame is unnamed without a reason:\n" << r.err;
  }
  // Sampled in the kernel at all (user-only sampling leaves no kernel frame).
  if (!std::regex_search(folded, std::regex(";(entry_SYSCALL|do_syscall|__x64_sys)"))) {
    GTEST_SKIP() << "no kernel frames sampled here (perf_event_paranoid)";
  }
  // --children ranks by inclusive share: a frame with no self time shows.
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(\n +0\.0% +[0-9.]+% +\S)"))) << r.err;
}

}  // namespace
}  // namespace perfkit::testing

namespace perfkit::testing {
namespace {

// A JIT of our own: machine code in anonymous memory, named in the perf map
// the program writes for itself, as node --perf-basic-prof does.
constexpr const char* kJitProgram = R"(#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void) {
  /* mov ecx, 2000000; 1: dec ecx; jnz 1b; ret */
  static const unsigned char code[] = {0xb9, 0x80, 0x84, 0x1e, 0x00, 0xff, 0xc9, 0x75, 0xfc, 0xc3};
  unsigned char* page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 2;
  memcpy(page, code, sizeof code);
  char path[64];
  snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
  FILE* map = fopen(path, "w");
  if (!map) return 3;
  fprintf(map, "%lx %zx jit_spin_loop\n", (unsigned long)page, sizeof code);
  fclose(map);
  for (int i = 0; i < 300; ++i) ((void (*)(void))page)();
  printf("%d\n", (int)getpid());
  return 0;
}
)";

TEST(ProfileView, JitCodeIsNamedFromThePerfMap) {
  TempDir dir;
  if (std::string why = Build(dir, "jit", kJitProgram, "-O1"); !why.empty()) GTEST_SKIP() << why;
  auto r =
      RunCommand({PerfkitBinary(), "profile", "-o", dir.File("j.folded"), "--", dir.File("jit")});
  if (Refused(r)) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The command's stdout is its pid alone: the table went to stderr.
  std::filesystem::remove("/tmp/perf-" + r.out.substr(0, r.out.find('\n')) +
                          ".map");  // it wrote it
  EXPECT_NE(ReadFileOrDie(dir.File("j.folded")).find(";jit_spin_loop "), std::string::npos)
      << ReadFileOrDie(dir.File("j.folded"));
}

// A -g build's hot function with two others inlined into it, one inside
// the other: each inlined one is a frame of its own, under the function
// that holds it, as perf report --inline shows them; --no-inline folds them
// back.
TEST(ProfileView, InlinedFunctionsAreFramesOfTheirOwn) {
  TempDir dir;
  const std::string source =
      "static inline __attribute__((always_inline)) unsigned long mix(unsigned long x) {\n"
      "  for (int i = 0; i < 1000; i++) x = x * 6364136223846793005ul + 1;\n"
      "  return x;\n}\n"
      "static inline __attribute__((always_inline)) unsigned long fold(unsigned long x) {\n"
      "  return mix(x) + 3;\n}\n"
      "__attribute__((noinline)) unsigned long hot(unsigned long x) { return fold(x) ^ x; }\n"
      "int main(void) {\n  unsigned long x = 1;\n"
      "  for (long r = 0; r < 200000; r++) x = hot(x);\n  return x == 42;\n}\n";
  if (std::string why = Build(dir, "inl", source, "-O2"); !why.empty()) GTEST_SKIP() << why;
  auto r =
      RunCommand({PerfkitBinary(), "profile", "-o", dir.File("i.folded"), "--", dir.File("inl")});
  if (Refused(r)) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ReadFileOrDie(dir.File("i.folded")).find(";hot;fold;mix "), std::string::npos)
      << ReadFileOrDie(dir.File("i.folded"));
  auto folded = RunCommand({PerfkitBinary(), "profile", "--no-inline", "-o", dir.File("n.folded"),
                            "--", dir.File("inl")});
  ASSERT_EQ(folded.exit_code, 0) << folded.err;
  EXPECT_EQ(ReadFileOrDie(dir.File("n.folded")).find(";mix"), std::string::npos);
  // --lines: the sampled line, from the line table, beside the leaf.
  auto lines = RunCommand({PerfkitBinary(), "profile", "--lines", "--", dir.File("inl")});
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  EXPECT_TRUE(std::regex_search(lines.err, std::regex(R"(% +mix \(inl\.c:[0-9]+\))"))) << lines.err;
}

// A program off-CPU half its wall time (10 ms of work, 10 ms asleep, by
// the clock): --off-cpu puts about half of the time under the stack that
// slept, and the counts become microseconds that add up to the wall time.
TEST(ProfileView, OffCpuTimeStandsUnderTheStackThatWaited) {
  TempDir dir;
  const std::string source =
      "#include <time.h>\n"
      "static long since(struct timespec* a) {\n  struct timespec b;\n"
      "  clock_gettime(CLOCK_MONOTONIC, &b);\n"
      "  return (b.tv_sec - a->tv_sec) * 1000000000L + (b.tv_nsec - a->tv_nsec);\n}\n"
      "__attribute__((noinline)) unsigned long burn(long ns) {\n"
      "  struct timespec a;\n  clock_gettime(CLOCK_MONOTONIC, &a);\n"
      "  unsigned long x = 1;\n"
      "  do { for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ul + 1; }\n"
      "  while (since(&a) < ns);\n  return x;\n}\n"
      "__attribute__((noinline)) void nap(long ns) {\n"
      "  struct timespec t = {0, ns};\n  nanosleep(&t, 0);\n}\n"
      "int main(void) {\n  unsigned long x = 0;\n"
      "  for (int i = 0; i < 50; ++i) { x += burn(10000000); nap(10000000); }\n"
      "  return x == 42;\n}\n";
  if (std::string why = Build(dir, "sleepy", source, "-O1"); !why.empty()) GTEST_SKIP() << why;
  auto r = RunCommand({PerfkitBinary(), "profile", "--off-cpu", "-o", dir.File("s.folded"), "--",
                       dir.File("sleepy")});
  if (Refused(r)) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(([0-9.]+) s of thread time)"))) << r.err;
  const double wall_us = std::stod(m[1]) * 1e6;
  uint64_t total = 0, napping = 0;
  std::istringstream lines(ReadFileOrDie(dir.File("s.folded")));
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.rfind(' ');
    const uint64_t us = std::stoull(line.substr(space + 1));
    total += us;
    if (line.find(";nap;") != std::string::npos && line.find(";[off-cpu] ") != std::string::npos) {
      napping += us;
    }
  }
  EXPECT_NEAR(static_cast<double>(total), wall_us, wall_us * 0.01);
  // Half the wall time by construction; timer slack and a busy machine
  // move it, but not past these.
  EXPECT_GT(100.0 * napping / total, 30.0) << ReadFileOrDie(dir.File("s.folded"));
  EXPECT_LT(100.0 * napping / total, 70.0) << ReadFileOrDie(dir.File("s.folded"));

  auto bad = RunCommand(
      {PerfkitBinary(), "profile", "--off-cpu", "-e", "instructions", "--", dir.File("sleepy")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--off-cpu weighs on-CPU samples by time"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace perfkit::testing
