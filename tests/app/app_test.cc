// The layer under the subcommands: one gate request for every gate, one
// bench request whose ToArgv() a child perfkit accepts, and use cases that
// run other programs only through the Launcher seam.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "app/bench_request.h"
#include "app/exit_status.h"
#include "app/files.h"
#include "app/gate.h"
#include "app/glibc_tunables.h"
#include "app/report_files.h"
#include "baselines/store.h"
#include "tests/test_util.h"

namespace perfkit::app {
namespace {

using testing::RunInProcess;
using testing::TempDir;

// An output path perfkit writes is replaced whole, and nothing else is:
// not a device given as the path (-o /dev/null once replaced /dev/null with
// a file), not a symbolic link, not a file whose name the temporary copy
// might have taken, and a replaced file keeps its mode.
TEST(WriteFileAtomically, ReplacesOnlyTheFileItWasGiven) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomically("/dev/null", "nothing").ok());
  struct stat st {};
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));

  const std::string out = dir.File("out.txt");
  std::ofstream(out + ".tmp") << "the user's";
  ASSERT_TRUE(WriteFileAtomically(out, "one").ok());
  chmod(out.c_str(), 0640);
  ASSERT_TRUE(WriteFileAtomically(out, "two").ok());
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(ReadFile(out).value(), "two");
  EXPECT_EQ(ReadFile(out + ".tmp").value(), "the user's");

  const std::string link = dir.File("link.txt");
  ASSERT_EQ(symlink(out.c_str(), link.c_str()), 0);
  ASSERT_TRUE(WriteFileAtomically(link, "three").ok());
  ASSERT_EQ(lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(ReadFile(out).value(), "three");

  EXPECT_FALSE(WriteFileAtomically(dir.path(), "x").ok());  // a directory
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 3u);  // out.txt, out.txt.tmp, link.txt: no temporary left
}

TEST(GateRequest, ThresholdsAreParsedOnceIntoOverrides) {
  GateFlags flags;
  flags.thresholds = {"3%", "crc32/*=2%", "memops/*=10"};
  auto r = MakeGateRequest(flags);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_DOUBLE_EQ(r->compare.threshold, 0.03);
  EXPECT_DOUBLE_EQ(report::ThresholdFor(r->compare, "crc32/crc32c/fast/64"), 0.02);
  EXPECT_DOUBLE_EQ(report::ThresholdFor(r->compare, "memops/copy/avx2/64"), 0.10);
  EXPECT_DOUBLE_EQ(report::ThresholdFor(r->compare, "slab/pair/slab/64"), 0.03);
  flags.thresholds = {"0.05"};
  EXPECT_NE(MakeGateRequest(flags).error().find("write 5% for that fraction, or 0.05%"),
            std::string::npos)
      << MakeGateRequest(flags).error();
  flags.thresholds = {"0.5%"};
  EXPECT_DOUBLE_EQ(MakeGateRequest(flags)->compare.threshold, 0.005);
}

TEST(GateRequest, RefusesWhatWouldSwitchTheGateOff) {
  for (const char* bad : {"=50%", "abc", "5%%", "nan", "inf", "-1%", "crc32/*=", "1e999", "0x10%",
                          "1e1%", " 5%", "0.05", "crc32/*=0.5", ".5%", "5.%"}) {
    GateFlags flags;
    flags.thresholds = {bad};
    auto r = MakeGateRequest(flags);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  for (double alpha : {double{NAN}, double{INFINITY}, 0.0, 0.9}) {
    GateFlags flags;
    flags.alpha = alpha;
    EXPECT_FALSE(MakeGateRequest(flags).ok()) << alpha;
  }
  GateFlags noise;
  noise.noise_k = NAN;
  EXPECT_FALSE(MakeGateRequest(noise).ok());
}

RunRecord RunOn(const std::string& kernel, double scale) {
  RunRecord run;
  run.host.fingerprint = "h";
  run.host.cpu_model = "cpu";
  run.host.kernel = kernel;
  BenchmarkResult b;
  b.name = "s/op/ours/1";
  for (int i = 0; i < 8; ++i) {
    Sample s;
    s.repetition_index = i;
    s.real_time_ns = s.cpu_time_ns = scale * (100 + i);
    b.samples.push_back(s);
  }
  run.benchmarks.push_back(b);
  return run;
}

TEST(GateRequest, JudgeRefusesIncomparableEnvironmentsUnlessAllowed) {
  GateFlags flags;
  auto gate = MakeGateRequest(flags);
  ASSERT_TRUE(gate.ok());
  auto refused = JudgeRuns(nullptr, RunOn("Linux 6.1", 1), RunOn("Linux 6.5", 1.5), *gate);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("kernel 'Linux 6.1' vs 'Linux 6.5'"), std::string::npos)
      << refused.error();
  flags.allow_env_mismatch = true;
  auto allowed =
      JudgeRuns(nullptr, RunOn("Linux 6.1", 1), RunOn("Linux 6.5", 1.5), *MakeGateRequest(flags));
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->exit_code, kExitRegression);
  ASSERT_FALSE(allowed->warnings.empty());
  EXPECT_EQ(allowed->warnings.back().rfind("environments differ", 0), 0u);
}

TEST(BenchRequest, QuickDefaultsTagsCountersAndTheResolvedDatabase) {
  BenchFlags flags;
  flags.suites = {"crc32"};
  flags.quick = true;
  flags.tags = {"branch=main"};
  flags.counters = "";
  flags.db = "x.db";
  auto r = MakeBenchRequest(flags);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->run.repetitions, 3);
  EXPECT_DOUBLE_EQ(r->run.min_time_s, 0.01);
  EXPECT_EQ(r->run.counters.size(), 6u);
  const std::string counters =
      "--counters=cycles,instructions,branches,branch-misses,cache-references,cache-misses";
  // --quick travels too: a suite's quick matrix is smaller, not only shorter.
  EXPECT_EQ(r->ToArgv(), (std::vector<std::string>{"bench", "--suite", "crc32", "--repetitions",
                                                   "3", "--min-time", "0.01", "--quick", counters,
                                                   "--tag", "branch=main", "--db", "x.db"}));
  flags.suites = {"nope"};
  EXPECT_EQ(MakeBenchRequest(flags).status().code(), StatusCode::kInvalidArgument);
  flags.suites = {};
  flags.min_time_s = NAN;
  EXPECT_FALSE(MakeBenchRequest(flags).ok());
  flags.min_time_s.reset();
  flags.tags = {"=x"};
  EXPECT_FALSE(MakeBenchRequest(flags).ok());
}

// Every local user can read a process's command line: a child perfkit gets
// a PostgreSQL location, password and all, in its environment instead.
TEST(BenchRequest, AChildNeverSeesAPasswordOnItsCommandLine) {
  for (const std::string uri :
       {"postgresql://ci:s3cret@db/perf", "postgresql://ci@/perf?host=/tmp&password=s3cret",
        "postgres://ci:s3cret PW@/perf", "postgresql:///perf?pass%77ord=s3cret"}) {
    BenchFlags flags;
    flags.suites = {"crc32"};
    flags.db = uri;
    auto r = MakeBenchRequest(flags);
    ASSERT_TRUE(r.ok()) << r.error();
    for (const std::string& a : r->ToArgv()) {
      EXPECT_EQ(a.find("s3cret"), std::string::npos) << a;
      EXPECT_EQ(a.find("postgres"), std::string::npos) << a;
    }
    const auto env = r->ChildEnv();
    ASSERT_EQ(env.count("PERFKIT_DB"), 1u) << uri;
    EXPECT_EQ(env.at("PERFKIT_DB"), uri);
  }
  BenchFlags flags;
  flags.db = "x.db";
  EXPECT_TRUE(MakeBenchRequest(flags)->ChildEnv().empty());
}

// What a child perfkit is given is what it stores.
TEST(BenchRequest, ToArgvIsWhatBenchAccepts) {
  TempDir dir;
  BenchFlags flags;
  flags.suites = {"crc32"};
  flags.filter = "crc32c/slice8/64$";
  flags.repetitions = 2;
  flags.min_time_s = 0.001;
  flags.no_interleave = true;
  flags.tags = {"profile=abc", "who=test"};
  flags.db = dir.File("p.db");
  flags.json_out = dir.File("out.json");
  auto request = MakeBenchRequest(flags);
  ASSERT_TRUE(request.ok());
  auto r = RunInProcess(request->ToArgv());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.File("out.json")));
  auto store = store::Store::Open(dir.File("p.db"));
  ASSERT_TRUE(store.ok());
  auto run = (*store)->LoadRun("latest");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->tags, (std::map<std::string, std::string>{{"profile", "abc"}, {"who", "test"}}));
  ASSERT_EQ(run->benchmarks.size(), 1u);
  EXPECT_EQ(run->benchmarks[0].suite, "crc32");
  EXPECT_EQ(run->benchmarks[0].samples.size(), 2u);
}

// A launcher whose every process fails, as python3 without matplotlib would.
class FailingLauncher : public Launcher {
 public:
  Result<std::unique_ptr<Process>> Spawn(const SpawnOptions& options) override {
    ++spawned;
    return Status::Error("cannot run '" + options.argv[0] + "': injected failure");
  }
  int spawned = 0;
};

TEST(ReportFiles, PlotsThatCannotRunLeaveAReportWithoutThem) {
  TempDir dir;
  report::ReportInput in;
  in.title = "T";
  in.runs = {{"run", RunOn("Linux 6.1", 1)}};
  in.runs[0].run.benchmarks[0].suite = "s";
  FailingLauncher launcher;
  std::string note;
  ASSERT_TRUE(WriteReportFiles(in, dir.File("r"), launcher, &note).ok());
  EXPECT_GE(launcher.spawned, 1);
  EXPECT_NE(note.find("Plots skipped"), std::string::npos) << note;
  const std::string md = testing::ReadFileOrDie(dir.File("r/report.md"));
  EXPECT_NE(md.find("## Suite s"), std::string::npos);
  EXPECT_EQ(md.find(".png"), std::string::npos);
}

std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out[e.path().filename().string()] = testing::ReadFileOrDie(e.path().string());
  }
  return out;
}

Status FailToPublish(const std::string&, const std::string&) {
  return Status::Error("injected: the exchange failed");
}

// A report directory is always one whole report: when the new one cannot be
// put in place, every file of the old one stays, and no staging is left.
TEST(ReportFiles, AFailedPublishLeavesTheWholeOldReport) {
  TempDir dir;
  report::ReportInput first;
  first.title = "first";
  first.runs = {{"run", RunOn("Linux 6.1", 1)}};
  FailingLauncher launcher;
  std::string note;
  ASSERT_TRUE(WriteReportFiles(first, dir.File("r"), launcher, &note).ok());
  const auto before = Contents(dir.File("r"));
  report::ReportInput second = first;
  second.title = "second";
  second.runs[0].run.benchmarks[0].name = "s/op/ours/2";
  Status s = WriteReportFiles(second, dir.File("r"), launcher, &note, &FailToPublish);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(Contents(dir.File("r")), before);
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename(), "r") << "left behind: " << e.path();
  }
  ASSERT_TRUE(WriteReportFiles(second, dir.File("r"), launcher, &note).ok());
  EXPECT_NE(testing::ReadFileOrDie(dir.File("r/data.csv")).find("s/op/ours/2"), std::string::npos);
  EXPECT_NE(testing::ReadFileOrDie(dir.File("r/report.md")).find("# second"), std::string::npos);
}

TEST(ReportFiles, StagingOfAKilledReportIsRemovedByTheNext) {
  TempDir dir;
  const std::string stale = dir.File(".r.staging-999999999-deadbeef");
  std::filesystem::create_directories(stale);
  testing::WriteFileOrDie(stale + "/.perfkit-report", "perfkit report directory; files:\n");
  testing::WriteFileOrDie(stale + "/report.md", "half");
  // A directory of that form without perfkit's mark is not perfkit's.
  const std::string foreign = dir.File(".r.staging-999999998-cafebabe");
  std::filesystem::create_directories(foreign);
  testing::WriteFileOrDie(foreign + "/mine.csv", "keep");
  report::ReportInput in;
  in.runs = {{"run", RunOn("Linux 6.1", 1)}};
  FailingLauncher launcher;
  std::string note;
  ASSERT_TRUE(WriteReportFiles(in, dir.File("r"), launcher, &note).ok());
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_EQ(testing::ReadFileOrDie(foreign + "/mine.csv"), "keep");
}

TEST(ReportFiles, RefusesADirectoryWithFilesItDidNotWrite) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("r"));
  testing::WriteFileOrDie(dir.File("r/notes.txt"), "mine");
  report::ReportInput in;
  in.runs = {{"run", RunOn("Linux 6.1", 1)}};
  FailingLauncher launcher;
  std::string note;
  Status s = WriteReportFiles(in, dir.File("r"), launcher, &note);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("holds notes.txt"), std::string::npos) << s.message();
  EXPECT_EQ(testing::ReadFileOrDie(dir.File("r/notes.txt")), "mine");
}

// Files with a report's extensions are not a report: only a directory
// perfkit marked as its own, holding nothing it did not write, is replaced.
TEST(ReportFiles, NeverReplacesAUsersFilesThatLookLikeAReport) {
  TempDir dir;
  report::ReportInput in;
  in.runs = {{"run", RunOn("Linux 6.1", 1)}};
  FailingLauncher launcher;
  std::string note;
  std::filesystem::create_directories(dir.File("userdata"));
  testing::WriteFileOrDie(dir.File("userdata/experiment-results.csv"), "irreplaceable,1\n");
  testing::WriteFileOrDie(dir.File("userdata/logo.svg"), "<svg/>");
  testing::WriteFileOrDie(dir.File("userdata/report.md"), "my notes");
  Status s = WriteReportFiles(in, dir.File("userdata"), launcher, &note);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not a report perfkit wrote"), std::string::npos) << s.message();
  EXPECT_EQ(testing::ReadFileOrDie(dir.File("userdata/experiment-results.csv")),
            "irreplaceable,1\n");
  EXPECT_EQ(testing::ReadFileOrDie(dir.File("userdata/logo.svg")), "<svg/>");
  EXPECT_EQ(testing::ReadFileOrDie(dir.File("userdata/report.md")), "my notes");

  // A report perfkit wrote is replaced; once a user adds a file to it, not.
  ASSERT_TRUE(WriteReportFiles(in, dir.File("r"), launcher, &note).ok());
  ASSERT_TRUE(std::filesystem::exists(dir.File("r/.perfkit-report")));
  ASSERT_TRUE(WriteReportFiles(in, dir.File("r"), launcher, &note).ok());
  testing::WriteFileOrDie(dir.File("r/extra.csv"), "mine");
  s = WriteReportFiles(in, dir.File("r"), launcher, &note);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("holds extra.csv"), std::string::npos) << s.message();
  EXPECT_EQ(testing::ReadFileOrDie(dir.File("r/extra.csv")), "mine");
  // An empty directory is the user's invitation.
  std::filesystem::create_directories(dir.File("empty"));
  EXPECT_TRUE(WriteReportFiles(in, dir.File("empty"), launcher, &note).ok());
}

// What PERFKIT_DISABLE_CPU_FEATURES hides from perfkit is hidden from glibc
// too, with what a CPU lacking it also lacks; what GLIBC_TUNABLES already
// sets stays as the user set it.
TEST(GlibcTunables, HideWhatPerfkitHidesAndKeepWhatTheUserSet) {
  constexpr char kAvx512[] = "-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD";
  EXPECT_EQ(GlibcHwcapsHiding(""), "");
  EXPECT_EQ(GlibcHwcapsHiding("pclmulqdq,vpclmulqdq"), "");  // glibc's string code uses neither
  EXPECT_EQ(GlibcHwcapsHiding("avx512f"), kAvx512);
  EXPECT_EQ(GlibcHwcapsHiding("avx512f,avx2"), GlibcHwcapsHiding("avx2"));
  EXPECT_EQ(GlibcHwcapsHiding("avx2,erms"),
            std::string("-AVX2,-AVX_Fast_Unaligned_Load,") + kAvx512 + ",-ERMS");
  EXPECT_EQ(GlibcHwcapsHiding("avx512"), "");  // names match whole

  EXPECT_EQ(ExtendedTunables(nullptr, 0, ""), "");
  EXPECT_EQ(ExtendedTunables(nullptr, 16384, ""), "glibc.rtld.optional_static_tls=16384");
  EXPECT_EQ(ExtendedTunables("glibc.malloc.check=3", 0, "erms"),
            "glibc.malloc.check=3:glibc.cpu.hwcaps=-ERMS");
  EXPECT_EQ(ExtendedTunables("", 0, "fsrm"), "glibc.cpu.hwcaps=-FSRM");
  EXPECT_EQ(ExtendedTunables("glibc.cpu.hwcaps=-AVX2", 16384, "avx512f"),
            "glibc.cpu.hwcaps=-AVX2:glibc.rtld.optional_static_tls=16384");
  EXPECT_EQ(ExtendedTunables("glibc.rtld.optional_static_tls=4096", 16384, ""), "");
}

}  // namespace
}  // namespace perfkit::app
