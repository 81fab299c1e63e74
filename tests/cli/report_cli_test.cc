// `perfkit report` as a user and a CI job run it: every image link points at
// a file, --compare exits with the gate's code, no matplotlib degrades to a
// report without plots, and a failed report leaves the previous one intact.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two imports of the same file: the second is 10% slower.
    const std::string fixture = ReadFileOrDie(SourceDir() + "/tests/golden/gbench_1_7.json");
    WriteFileOrDie(dir_.File("a.json"), fixture);
    std::string slower = fixture;
    slower =
        std::regex_replace(slower, std::regex("\"real_time\": 10\\.(\\d)"), "\"real_time\": 11.$1");
    WriteFileOrDie(dir_.File("b.json"), slower);
    ASSERT_EQ(RunInProcess({"import", dir_.File("a.json"), "--db", db()}).exit_code, 0);
    ASSERT_EQ(RunInProcess({"import", dir_.File("b.json"), "--db", db()}).exit_code, 0);
  }
  std::string db() const { return dir_.File("p.db"); }
  std::string out() const { return dir_.File("report"); }
  TempDir dir_;
};

void ExpectImageLinksExist(const std::string& dir) {
  const std::string md = ReadFileOrDie(dir + "/report.md");
  const std::regex link(R"(\]\(([^)]+)\))");
  int links = 0;
  for (std::sregex_iterator it(md.begin(), md.end(), link), end; it != end; ++it) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + (*it)[1].str())) << (*it)[1].str();
    ++links;
  }
  EXPECT_GE(links, 1);
}

TEST_F(ReportCli, SingleRunReportWithDataAndWorkingLinks) {
  auto r = RunInProcess({"report", "latest", "-o", out(), "--title", "Nightly", "--db", db()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, out() + "/report.md\n");
  const std::string md = ReadFileOrDie(out() + "/report.md");
  EXPECT_EQ(md.rfind("# Nightly\n", 0), 0u);
  EXPECT_NE(md.find("| `BM_Hash/64` |"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(out() + "/data.csv"));
  ExpectImageLinksExist(out());
  for (const auto& e : std::filesystem::directory_iterator(out())) {
    EXPECT_EQ(e.path().filename().string().rfind(".staging", 0), std::string::npos);
  }
}

TEST_F(ReportCli, CompareExitsWithTheGateCode) {
  auto r = RunInProcess({"report", "--compare", "1", "2", "-o", out(), "--db", db()});
  EXPECT_EQ(r.exit_code, 4) << r.err;  // 3 repetitions a side: too little to judge
  EXPECT_NE(ReadFileOrDie(out() + "/report.md").find("## Summary"), std::string::npos);
  ExpectImageLinksExist(out());
  auto baseline = RunInProcess({"baseline", "save", "main", "1", "--db", db()});
  ASSERT_EQ(baseline.exit_code, 0);
  auto vs = RunInProcess({"report", "2", "--baseline", "main", "-o", out(), "--db", db()});
  EXPECT_EQ(vs.exit_code, 0) << vs.err;  // --baseline reports, it does not gate
  auto history =
      RunInProcess({"report", "--history", "BM_Hash/*", "--last", "5", "-o", out(), "--db", db()});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const std::string md = ReadFileOrDie(out() + "/report.md");
  EXPECT_NE(md.find("## History of `BM_Hash/*`"), std::string::npos);
  EXPECT_NE(md.find("| main |"), std::string::npos);
}

// The same gate as `compare`: --metric, --alpha and the environment guard
// apply, so the same two runs cannot pass one and fail the other.
TEST_F(ReportCli, CompareUsesTheSameGateAsCompare) {
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {}, {"--metric", "cpu_time"}, {"--alpha", "0.01"}, {"--metric", "no_such_counter"}}) {
    std::vector<std::string> compare = {"compare", "1", "2", "--db", db()};
    std::vector<std::string> report = {"report", "--compare", "1", "2", "-o", out(), "--db", db()};
    compare.insert(compare.end(), flags.begin(), flags.end());
    report.insert(report.end(), flags.begin(), flags.end());
    const int compared = RunInProcess(compare).exit_code;
    EXPECT_EQ(RunInProcess(report).exit_code, compared) << (flags.empty() ? "" : flags[0]);
  }
  auto nan = RunInProcess({"report", "--compare", "1", "2", "--alpha", "nan", "--db", db()});
  EXPECT_EQ(nan.exit_code, 2);
  EXPECT_NE(nan.err.find("--alpha"), std::string::npos) << nan.err;
}

TEST_F(ReportCli, WithoutMatplotlibTheReportIsStillWritten) {
  setenv("PERFKIT_PYTHON", "/nonexistent/python3", 1);
  auto r = RunInProcess({"report", "latest", "-o", out(), "--db", db()});
  unsetenv("PERFKIT_PYTHON");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("apt-get install python3-matplotlib"), std::string::npos) << r.err;
  const std::string md = ReadFileOrDie(out() + "/report.md");
  EXPECT_NE(md.find("> Plots skipped"), std::string::npos);
  EXPECT_EQ(md.find("!["), std::string::npos);
}

TEST_F(ReportCli, AFailedReportLeavesThePreviousOne) {
  ASSERT_EQ(RunInProcess({"report", "latest", "-o", out(), "--db", db()}).exit_code, 0);
  const std::string before = ReadFileOrDie(out() + "/report.md");
  auto r = RunInProcess({"report", "999", "-o", out(), "--db", db()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  EXPECT_EQ(ReadFileOrDie(out() + "/report.md"), before);
  auto suite = RunInProcess({"report", "latest", "--suite", "nope", "-o", out(), "--db", db()});
  EXPECT_EQ(suite.exit_code, 2);
}

}  // namespace
}  // namespace perfkit::testing
