// The CLI in-process, as a user would drive it: exit codes, one-line errors,
// nothing written on failure, and the README's examples as golden outputs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

std::string Golden(const std::string& name) { return SourceDir() + "/tests/golden/" + name; }

int CountLines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

TEST(Cli, VersionAndHelp) {
  auto v = RunInProcess({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("perfkit 0.1.0", 0), 0u) << v.out;
  auto h = RunInProcess({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  for (const char* cmd : {"bench", "list", "sysinfo", "runs", "export", "import", "checksum"}) {
    EXPECT_NE(h.out.find(cmd), std::string::npos) << cmd;
  }
  EXPECT_NE(h.out.find("Exit status"), std::string::npos);
}

TEST(Cli, UnknownFlagIsAUsageError) {
  auto r = RunInProcess({"bench", "--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--frobnicate"), std::string::npos);
}

TEST(Cli, UnknownSuiteListsTheSuites) {
  TempDir dir;
  auto r = RunInProcess({"bench", "--suite", "nope", "--db", dir.File("x.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "perfkit: unknown suite 'nope' (suites: crc32, memops, slab, jit, profiler, rings, io, "
            "platform, virtio)\n");
  EXPECT_FALSE(std::filesystem::exists(dir.File("x.db")));
}

TEST(Cli, FilterMatchingNothingIsAUsageError) {
  TempDir dir;
  auto r = RunInProcess({"bench", "--filter", "zzz", "--db", dir.File("x.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("matches no benchmark"), std::string::npos) << r.err;
  auto bad = RunInProcess({"bench", "--filter", "(", "--db", dir.File("x.db")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("invalid --filter"), std::string::npos) << bad.err;
}

TEST(Cli, NonSqliteDatabaseIsRefusedAndUntouched) {
  TempDir dir;
  const std::string db = dir.File("notes.txt");
  WriteFileOrDie(db, "not a database");
  auto r = RunInProcess({"bench", "--quick", "--filter", "slice8/16$", "--db", db});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("is not a SQLite database"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFileOrDie(db), "not a database");
}

TEST(Cli, ImportRunsExportRoundTrip) {
  TempDir dir;
  const std::string db = dir.File("p.db");
  auto imp =
      RunInProcess({"import", Golden("gbench_1_7.json"), "--tag", "branch=main", "--db", db});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_NE(imp.out.find("2 benchmarks, 6 samples"), std::string::npos) << imp.out;

  auto runs = RunInProcess({"runs", "--json", "--db", db});
  ASSERT_EQ(runs.exit_code, 0);
  const auto listed = nlohmann::json::parse(runs.out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["source"], "import");
  EXPECT_EQ(listed[0]["tags"]["branch"], "main");
  EXPECT_EQ(listed[0]["samples"], 6);

  const std::string out = dir.File("out.json");
  auto exp = RunInProcess({"export", "latest", "-o", out, "--db", db});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  const auto doc = nlohmann::json::parse(ReadFileOrDie(out));
  int iterations = 0;
  for (const auto& b : doc["benchmarks"]) {
    if (b["run_type"] == "iteration") ++iterations;
    if (b["name"] == "BM_Sort/1024" && b["run_type"] == "iteration") {
      EXPECT_EQ(b["time_unit"], "us");
      EXPECT_DOUBLE_EQ(b["real_time"].get<double>(), 31.0);
      break;
    }
  }
  EXPECT_EQ(iterations, 4);  // 3 of BM_Hash, then the first BM_Sort
}

TEST(Cli, InvalidImportStoresNothing) {
  TempDir dir;
  const std::string db = dir.File("p.db");
  const std::string bad = dir.File("bad.json");
  WriteFileOrDie(bad, "{\"benchmarks\": [\n  {\"name\": \"x\",, }\n]}\n");
  auto r = RunInProcess({"import", bad, "--db", db});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("at line 2, column 16"), std::string::npos) << r.err;
  EXPECT_EQ(CountLines(r.err), 1);
  auto runs = RunInProcess({"runs", "--json", "--db", db});
  EXPECT_EQ(runs.out, "[]\n");
  auto missing = RunInProcess({"import", dir.File("nope.json"), "--db", db});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos);
}

TEST(Cli, ExportOfUnknownRun) {
  TempDir dir;
  // A read-only command creates no database.
  auto r = RunInProcess({"export", "12345", "--db", dir.File("p.db")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no database"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.File("p.db")));
  ASSERT_EQ(RunInProcess({"import", Golden("gbench_1_7.json"), "--db", dir.File("p.db")}).exit_code,
            0);
  auto unknown = RunInProcess({"export", "12345", "--db", dir.File("p.db")});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("no run '12345'"), std::string::npos) << unknown.err;
}

TEST(Cli, ExecOfMissingOrNonBenchmarkProgram) {
  TempDir dir;
  auto missing = RunInProcess({"bench", "--exec", "/nonexistent/bm", "--db", dir.File("p.db")});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("cannot run '/nonexistent/bm'"), std::string::npos) << missing.err;
  auto not_bench = RunInProcess({"bench", "--exec", "true", "--db", dir.File("p.db")});
  EXPECT_EQ(not_bench.exit_code, 3);
  EXPECT_NE(not_bench.err.find("wrote no benchmark results"), std::string::npos) << not_bench.err;
}

TEST(Cli, ExecRefusesFlagsItWouldIgnore) {
  TempDir dir;
  auto suite =
      RunInProcess({"bench", "--exec", "true", "--suite", "crc32", "--db", dir.File("p.db")});
  EXPECT_EQ(suite.exit_code, 2);
  EXPECT_EQ(suite.err,
            "perfkit: --suite cannot be used with --exec (it runs the executable's own "
            "benchmarks)\n");
  auto counters = RunInProcess({"bench", "--exec", "true", "--counters", "--db", dir.File("p.db")});
  EXPECT_EQ(counters.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.File("p.db")));
}

TEST(Cli, ChecksumOfFilesAndErrors) {
  auto r = RunInProcess({"checksum", "--algo", "crc32", Golden("123456789.txt")});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "cbf43926 9 " + Golden("123456789.txt") + "\n");
  auto missing = RunInProcess({"checksum", "/nonexistent"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("cannot read '/nonexistent'"), std::string::npos);
  auto bad_algo = RunInProcess({"checksum", "--algo", "md5"});
  EXPECT_EQ(bad_algo.exit_code, 2);
}

TEST(Cli, BadTagIsAUsageError) {
  TempDir dir;
  auto r = RunInProcess(
      {"import", Golden("gbench_1_7.json"), "--tag", "novalue", "--db", dir.File("p.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not KEY=VALUE"), std::string::npos);
}

TEST(Cli, SysinfoJsonHasTheFieldsCompareNeeds) {
  auto r = RunInProcess({"sysinfo", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key :
       {"cpu_model", "cpu_features", "logical_cpus", "cache_bytes", "kernel", "governor", "aslr",
        "hardware_pmu", "build_type", "benchmark_build_type", "fingerprint"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

// Every ```console block of the README: "$ perfkit ..." lines run from the
// source directory, and the lines after them are the exact stdout.
TEST(Cli, ReadmeExamplesAreTrue) {
  std::ifstream in(SourceDir() + "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  const std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(SourceDir());
  std::string line, command, expected;
  bool in_block = false;
  int checked = 0;
  auto check = [&] {
    if (command.empty()) return;
    std::vector<std::string> args;
    std::istringstream words(command.substr(std::string("$ perfkit ").size()));
    for (std::string w; words >> w;) args.push_back(w);
    auto r = RunInProcess(args);
    EXPECT_EQ(r.out, expected) << command;
    ++checked;
    command.clear();
    expected.clear();
  };
  while (std::getline(in, line)) {
    if (line == "```console") {
      in_block = true;
    } else if (in_block && line == "```") {
      check();
      in_block = false;
    } else if (in_block && line.rfind("$ perfkit ", 0) == 0) {
      check();
      command = line;
    } else if (in_block && !command.empty()) {
      expected += line + "\n";
    }
  }
  std::filesystem::current_path(cwd);
  EXPECT_GE(checked, 2);
}

}  // namespace
}  // namespace perfkit::testing
