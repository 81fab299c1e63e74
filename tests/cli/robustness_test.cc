// Every subcommand against hostile input, from one table: missing, empty,
// directory, binary garbage, deeply nested, NaN, infinite, negative and
// unknown values. Each must exit with its documented code and one line
// naming the problem, and must create or change no file.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::vector<std::string> args;  // "{d}" stands for the fixture directory
  int exit_code;
  std::string error;  // how the one line after "perfkit: " starts ("" for success)
};

std::string Fixture(const char* name) {
  return ReadFileOrDie(SourceDir() + "/tests/golden/" + name);
}

// The fixture file with the first repetition's `field` set to `value`.
std::string WithField(const std::string& field, const std::string& value) {
  std::string json = Fixture("gbench_1_7.json");
  const size_t entry = json.find("\"repetition_index\": 0");
  const size_t key = json.find("\"" + field + "\": ", entry) + field.size() + 4;
  const size_t end = json.find_first_of(",}", key);
  return json.replace(key, end - key, value);
}

void Sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  sqlite3_close(db);
}

class Robustness : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string d = dir_.path();
    ASSERT_EQ(
        RunInProcess({"import", SourceDir() + "/tests/golden/gbench_1_7.json", "--db", d + "/p.db"})
            .exit_code,
        0);
    fs::create_directories(d + "/dir");
    fs::create_directories(d + "/notes");
    WriteFileOrDie(d + "/notes/notes.txt", "mine");
    WriteFileOrDie(d + "/empty", "");
    WriteFileOrDie(d + "/garbage.bin", std::string("\x00\xff\x13\x37SQLite\x01", 11));
    WriteFileOrDie(d + "/deep.json", std::string(100000, '[') + std::string(100000, ']'));
    WriteFileOrDie(d + "/nan.json", WithField("real_time", "NaN"));
    WriteFileOrDie(d + "/inf.json", WithField("real_time", "Infinity"));
    WriteFileOrDie(d + "/negative.json", WithField("real_time", "-10.5"));
    WriteFileOrDie(d + "/zero.json", WithField("real_time", "0"));
    WriteFileOrDie(d + "/zero_iterations.json", WithField("iterations", "0"));
    WriteFileOrDie(d + "/huge_iterations.json", WithField("iterations", "1e300"));
    WriteFileOrDie(d + "/unit.json", WithField("time_unit", "\"h\""));
    WriteFileOrDie(d + "/overflow.json", WithField("cpu_time", "1e999"));
    WriteFileOrDie(d + "/folded.txt", "main;f 3\nnot a folded line\n");
    Sql(d + "/foreign.db", "CREATE TABLE notes(text TEXT)");
    fs::copy_file(d + "/p.db", d + "/negative.db");
    Sql(d + "/negative.db", "PRAGMA user_version = -1");
    ASSERT_EQ(getcwd(cwd_, sizeof cwd_), cwd_);
    ASSERT_EQ(chdir(d.c_str()), 0);  // default outputs would land in the snapshot
  }
  void TearDown() override { ASSERT_EQ(chdir(cwd_), 0); }

  // Every file and its content. SQLite's -wal and -shm companions of a
  // database that exists are its lock files, made by any reader; the
  // database itself must not change.
  std::map<std::string, size_t> Snapshot() const {
    std::map<std::string, size_t> files;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path())) {
      const std::string path = e.path().string();
      if (path.size() > 4 &&
          (path.rfind("-wal") == path.size() - 4 || path.rfind("-shm") == path.size() - 4)) {
        continue;
      }
      files[path] = e.is_regular_file() ? std::hash<std::string>()(ReadFileOrDie(path)) : size_t{0};
    }
    return files;
  }

  void Check(const Case& c) {
    std::vector<std::string> args;
    std::string shown;
    for (std::string a : c.args) {
      for (size_t at; (at = a.find("{d}")) != std::string::npos;) a.replace(at, 3, dir_.path());
      shown += " " + a;
      args.push_back(a);
    }
    const auto before = Snapshot();
    const CommandResult r = RunInProcess(args);
    EXPECT_EQ(r.exit_code, c.exit_code) << "perfkit" << shown << "\n" << r.err;
    if (c.exit_code != 0) {
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "perfkit" << shown << "\n"
                                                                 << r.err;
      std::string expected = "perfkit: " + c.error;
      for (size_t at; (at = expected.find("{d}")) != std::string::npos;) {
        expected.replace(at, 3, dir_.path());
      }
      EXPECT_EQ(r.err.rfind(expected, 0), 0u) << "perfkit" << shown << "\n" << r.err;
    }
    EXPECT_EQ(Snapshot(), before) << "perfkit" << shown << " created or changed a file";
  }

  TempDir dir_;
  char cwd_[4096] = {};
};

TEST_F(Robustness, BenchAndCalibrate) {
  for (const Case& c : std::vector<Case>{
           {{"bench", "--suite", "nope"}, 2, "unknown suite 'nope'"},
           {{"bench", "--repetitions", "0"}, 2, "--repetitions: Value 0 not in range"},
           {{"bench", "--repetitions", "-5"}, 2, "--repetitions"},
           {{"bench", "--min-time", "nan"}, 2, "--min-time: value nan is not a number"},
           {{"bench", "--min-time", "inf"}, 2, "--min-time: value inf is not a number"},
           {{"bench", "--min-time", "-1"}, 2, "--min-time"},
           {{"bench", "--filter", "("}, 2, "invalid --filter regex '('"},
           {{"bench", "--filter", "zzz"}, 2, "--filter 'zzz' matches no benchmark"},
           {{"bench", "--tag", "=x"}, 2, "--tag '=x' is not KEY=VALUE"},
           {{"bench", "--counters", "nosuch", "--filter", "slice8/16$"}, 2, "--counters"},
           {{"bench", "--db", ""}, 2, "--db: the database path is empty"},
           {{"bench", "--db", "{d}/dir", "--filter", "slice8/16$"},
            3,
            "'{d}/dir' is not a regular"},
           {{"bench", "--db", "{d}/garbage.bin", "--filter", "slice8/16$"},
            3,
            "'{d}/garbage.bin' is not a SQLite database"},
           {{"bench", "--db", "{d}/foreign.db", "--filter", "slice8/16$"},
            3,
            "database '{d}/foreign.db': '{d}/foreign.db' is a SQLite database but not perfkit's"},
           {{"bench", "--db", "{d}/negative.db", "--filter", "slice8/16$"},
            3,
            "database '{d}/negative.db': schema version -1 is not one this perfkit knows"},
           {{"bench", "--exec", "{d}/dir"}, 3, "cannot run '{d}/dir': Is a directory"},
           {{"bench", "--exec", "{d}/empty"}, 3, "cannot run '{d}/empty': Permission denied"},
           {{"bench", "--exec", "true", "--suite", "crc32"},
            2,
            "--suite cannot be used with --exec"},
           {{"calibrate", "--runs", "1"}, 2, "--runs: Value 1 not in range"},
           {{"calibrate", "--suite", "nope"}, 2, "unknown suite 'nope'"},
           {{"calibrate", "--noise-k", "nan"}, 2, "--noise-k: value nan is not a number"},
           {{"calibrate", "--threshold", "=5%"}, 2, "--threshold '=5%' has no benchmark glob"},
       }) {
    Check(c);
  }
}

TEST_F(Robustness, CompareAndReport) {
  for (const Case& c : std::vector<Case>{
           {{"compare", "1", "1", "--db", "{d}/p.db", "--alpha", "nan"}, 2, "--alpha: value nan"},
           {{"compare", "1", "1", "--db", "{d}/p.db", "--alpha", "inf"}, 2, "--alpha: value inf"},
           {{"compare", "1", "1", "--db", "{d}/p.db", "--noise-k", "-inf"}, 2, "--noise-k"},
           {{"compare", "1", "1", "--db", "{d}/p.db", "--threshold", "=50%"},
            2,
            "--threshold '=50%' has no benchmark glob"},
           {{"compare", "1", "1", "--db", "{d}/p.db", "--threshold", "nan"},
            2,
            "--threshold 'nan' is not a percentage"},
           {{"compare", "1", "1", "--db", "{d}/p.db", "--threshold", "-5%"},
            2,
            "--threshold '-5%' is not a percentage"},
           {{"compare", "7", "1", "--db", "{d}/p.db"}, 3, "no run '7' (see 'perfkit runs')"},
           {{"compare", "0", "1", "--db", "{d}/p.db"}, 3, "no run '0'"},
           {{"compare", "99999999999999999999", "1", "--db", "{d}/p.db"},
            2,
            "run id '99999999999999999999' is out of range"},
           {{"compare", "nope", "1", "--db", "{d}/p.db"}, 3, "no run, baseline or file 'nope'"},
           {{"compare", "{d}/dir", "1", "--db", "{d}/p.db"}, 3, "'{d}/dir' is a directory"},
           {{"compare", "{d}/empty", "1", "--db", "{d}/p.db"}, 3, "invalid JSON in {d}/empty"},
           {{"compare", "{d}/garbage.bin", "1", "--db", "{d}/p.db"},
            3,
            "invalid JSON in {d}/garbage.bin"},
           {{"compare", "{d}/deep.json", "1", "--db", "{d}/p.db"},
            3,
            "{d}/deep.json is not Google Benchmark JSON"},
           {{"compare", "1", "1", "--db", "{d}/missing.db"}, 3, "no database '{d}/missing.db'"},
           {{"compare", "1", "1", "--db", "{d}/garbage.bin"},
            3,
            "'{d}/garbage.bin' is not a SQLite database"},
           {{"report", "7", "--db", "{d}/p.db", "-o", "{d}/r"}, 3, "no run '7'"},
           {{"report", "--db", "{d}/missing.db", "-o", "{d}/r"}, 3, "no database"},
           {{"report", "--compare", "1", "1", "--alpha", "nan", "--db", "{d}/p.db"},
            2,
            "--alpha: value nan"},
           {{"report", "--last", "0", "--db", "{d}/p.db"}, 2, "--last: Value 0 not in range"},
           {{"report", "--db", "{d}/p.db", "-o", "{d}/empty"}, 3, "'{d}/empty' is not a directory"},
           {{"report", "--db", "{d}/p.db", "-o", "{d}/notes"}, 3, "'{d}/notes' holds notes.txt"},
           {{"report", "--db", "{d}/p.db", "-o", "."},
            2,
            "-o '.': give a directory for the report"},
           {{"report", "--db", "{d}/p.db", "--history", "zzz*", "-o", "{d}/r"},
            2,
            "--history 'zzz*' matches no benchmark"},
       }) {
    Check(c);
  }
}

TEST_F(Robustness, StoreCommands) {
  for (const Case& c : std::vector<Case>{
           {{"runs", "--db", "{d}/missing.db"}, 0, ""},
           {{"runs", "--limit", "0", "--db", "{d}/p.db"}, 2, "--limit"},
           {{"runs", "--limit", "-1", "--db", "{d}/p.db"}, 2, "--limit"},
           {{"runs", "--db", "{d}/foreign.db"},
            3,
            "database '{d}/foreign.db': '{d}/foreign.db' is a SQLite database but not perfkit's"},
           {{"runs", "--db", "{d}/negative.db"},
            3,
            "database '{d}/negative.db': schema version -1"},
           {{"runs", "--db", "{d}/dir"}, 3, "'{d}/dir' is not a regular file"},
           {{"runs", "--db", ""}, 2, "--db: the database path is empty"},
           {{"export", "7", "--db", "{d}/p.db"}, 3, "no run '7'"},
           {{"export", "abcd", "--db", "{d}/p.db"}, 3, "no run 'abcd'"},
           {{"export", "zz", "--db", "{d}/p.db"}, 2, "'zz' is not a run reference"},
           {{"export", "1", "--format", "nope", "--db", "{d}/p.db"}, 2, "--format: nope not in"},
           {{"export", "1", "-o", "{d}/dir", "--db", "{d}/p.db"}, 3, "cannot write '{d}/dir'"},
           {{"import", "{d}/missing.json", "--db", "{d}/p.db"},
            3,
            "cannot read '{d}/missing.json'"},
           {{"import", "{d}/dir", "--db", "{d}/p.db"}, 3, "cannot read '{d}/dir': is a directory"},
           {{"import", "{d}/empty", "--db", "{d}/p.db"}, 3, "invalid JSON in {d}/empty"},
           {{"import", "{d}/garbage.bin", "--db", "{d}/p.db"},
            3,
            "invalid JSON in {d}/garbage.bin"},
           {{"import", "{d}/deep.json", "--db", "{d}/p.db"},
            3,
            "{d}/deep.json is not Google Benchmark JSON"},
           {{"import", "{d}/nan.json", "--db", "{d}/p.db"},
            3,
            "{d}/nan.json: benchmark 'BM_Hash/64': real_time null is not a positive number"},
           {{"import", "{d}/inf.json", "--db", "{d}/p.db"},
            3,
            "{d}/inf.json: benchmark 'BM_Hash/64': real_time null"},
           {{"import", "{d}/negative.json", "--db", "{d}/p.db"},
            3,
            "{d}/negative.json: benchmark 'BM_Hash/64': real_time -10.5 is not a positive number"},
           {{"import", "{d}/zero.json", "--db", "{d}/p.db"},
            3,
            "{d}/zero.json: benchmark 'BM_Hash/64': real_time 0"},
           {{"import", "{d}/zero_iterations.json", "--db", "{d}/p.db"},
            3,
            "{d}/zero_iterations.json: benchmark 'BM_Hash/64': iterations 0 is not a whole number"},
           {{"import", "{d}/huge_iterations.json", "--db", "{d}/p.db"},
            3,
            "{d}/huge_iterations.json: benchmark 'BM_Hash/64': iterations 1e+300 is not a whole "
            "number"},
           {{"import", "{d}/unit.json", "--db", "{d}/p.db"},
            3,
            "{d}/unit.json: benchmark 'BM_Hash/64': time_unit \"h\" is not ns, us, ms or s"},
           {{"import", "{d}/overflow.json", "--db", "{d}/p.db"},
            3,
            "invalid JSON in {d}/overflow.json: number overflow"},
           {{"import", "{d}/nan.json", "--tag", "=x", "--db", "{d}/p.db"},
            2,
            "--tag '=x' is not KEY=VALUE"},
           {{"import", "{d}/nan.json", "--db", "{d}/garbage.bin"}, 3, "{d}/nan.json"},
           {{"baseline", "save", "42", "--db", "{d}/p.db"}, 2, "invalid baseline name '42'"},
           {{"baseline", "save", "main", "7", "--db", "{d}/p.db"}, 3, "no run '7'"},
           {{"baseline", "show", "nope", "--db", "{d}/p.db"}, 3, "no baseline 'nope'"},
           {{"baseline", "export", "nope", "--db", "{d}/p.db"}, 3, "no baseline 'nope'"},
           {{"baseline", "import", "main", "{d}/dir", "--db", "{d}/p.db"},
            3,
            "cannot read '{d}/dir': is a directory"},
           {{"baseline", "list", "--db", "{d}/missing.db"}, 3, "no database"},
       }) {
    Check(c);
  }
}

TEST_F(Robustness, ProfileJitAndTheRest) {
  for (const Case& c : std::vector<Case>{
           {{"profile"}, 2, "profile: give one of a command after --, -p PID or --suite SUITE"},
           {{"profile", "--call-graph", "dwarf,abc", "--", "true"},
            2,
            "profile: --call-graph dwarf,SIZE: 'abc' is not a number"},
           {{"profile", "--call-graph", "dwarf,7", "--", "true"},
            2,
            "profile: the DWARF stack size must be a multiple of 8"},
           {{"profile", "--call-graph", "lbr", "--", "true"},
            2,
            "profile: --call-graph takes fp, dwarf"},
           {{"profile", "-p", "1", "--duration", "nan"}, 2, "--duration: value nan"},
           {{"profile", "--suite", "nope"}, 2, "profile: unknown suite 'nope'"},
           {{"profile", "--minwidth", "inf", "--", "true"}, 2, "--minwidth: value inf"},
           {{"profile", "diff", "{d}/folded.txt", "{d}/folded.txt"},
            3,
            "profile diff: {d}/folded.txt: "},
           {{"profile", "diff", "{d}/empty", "{d}/empty"},
            3,
            "profile diff: {d}/empty: no samples"},
           {{"profile", "diff", "{d}/dir", "{d}/dir", "--db", "{d}/missing.db"},
            3,
            "profile diff: '{d}/dir' is neither a folded-stack file nor a run"},
           {{"profile", "diff", "1", "1", "--db", "{d}/p.db"},
            3,
            "profile diff: run 1 has no stored profile"},
           {{"jit", "run", "{d}/dir"}, 3, "cannot read '{d}/dir': is a directory"},
           {{"jit", "run", "{d}/missing.s"}, 3, "cannot read '{d}/missing.s'"},
           {{"jit", "run", "{d}/garbage.bin"}, 3, "{d}/garbage.bin: "},
           {{"jit", "run", "{d}/empty"}, 3, "{d}/empty: "},
           {{"jit", "run", "{d}/empty", "--mem-file", "{d}/dir"},
            3,
            "cannot read '{d}/dir': is a directory"},
           {{"jit", "run", "{d}/empty", "--engine", "nope"}, 2, "--engine"},
           {{"jit", "test", "{d}/dir"}, 3, "cannot read '{d}/dir': is a directory"},
           {{"jit", "asm", "{d}/garbage.bin", "-o", "{d}/out.bin"}, 3, "{d}/garbage.bin: line 1"},
           {{"checksum", "{d}/dir"}, 3, "cannot read '{d}/dir'"},
           {{"checksum", "--algo", "nope"}, 2, "--algo: nope not in"},
           {{"list", "nonsense"}, 2, "list: unknown kind 'nonsense'"},
           {{"list", "--suite", "nope"}, 2, "unknown suite 'nope'"},
           {{"selftest-stats", "--suites", "5"}, 2, "--suites: Value 5 not in range"},
           {{"selftest-stats", "--cv", "nan"}, 2, "--cv: value nan"},
           {{"selftest-stats", "--slowdown", "inf"}, 2, "--slowdown: value inf"},
           {{"ab", "{d}/missing", "{d}/missing"},
            3,
            "cannot run '{d}/missing': No such file or directory"},
           {{"ab", "true", "true", "--rounds", "1"},
            2,
            "--rounds must be auto or a number from 2 to 10000"},
           {{"ab", "true", "true", "--rounds", "sometimes"}, 2, "--rounds must be auto"},
           {{"ab", "true", "true", "--rounds", "auto", "--budget", "soon"},
            2,
            "--budget: 'soon' is not a duration"},
           {{"ab", "true", "true", "--rounds", "auto", "--max-repetitions", "3"},
            2,
            "--max-repetitions must be from 5 to 100000"},
           {{"ab", "true", "true", "--budget", "5m"}, 2, "--budget is for --rounds auto"},
           {{"ab", "true", "true", "--inconclusive", "maybe"}, 2, "--inconclusive: maybe not in"},
           {{"bench", "--suite", "crc32", "--threshold", "5%"},
            2,
            "the gate's flags (--threshold, --alpha, --budget, ...) need --until-decided BASE"},
           {{"bench", "--suite", "crc32", "--until-decided", "x", "--repetitions", "3"},
            2,
            "with --until-decided, --repetitions (the first block) must be from 5"},
           {{"bench", "--until-decided", "x", "--exec", "true"},
            2,
            "--until-decided cannot be used with --exec"},
           {{"selftest-stats", "--sequential", "--mode", "sideways"}, 2, "--mode: sideways not in"},
           {{"ab", "true", "true", "--min-time", "nan"}, 2, "--min-time: value nan"},
           {{"ab", "true", "true", "--threshold", "=5%"},
            2,
            "--threshold '=5%' has no benchmark glob"},
           {{"nosuchcommand"}, 2, "A subcommand is required"},
       }) {
    Check(c);
  }
}

}  // namespace
}  // namespace perfkit::testing
