// compare and baseline as a CI job uses them: exit codes 0/1/2/3, one-line
// errors, and baselines that keep history and never delete runs.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

// A Google Benchmark JSON document with `reps` repetitions per benchmark
// around `center` ns, 1% noise; `host` stands in for perfkit's context.
std::string GbenchJson(const std::vector<std::pair<std::string, double>>& benchmarks, int reps,
                       unsigned seed, const std::string& kernel = "Linux 6.1",
                       const std::string& fingerprint = "test-host") {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 0.01);
  nlohmann::json doc;
  doc["context"] = {{"date", "2026-11-20T10:00:00Z"},
                    {"library_build_type", "release"},
                    {"perfkit",
                     {{"host",
                       {{"cpu_model", "Test CPU"},
                        {"kernel", kernel},
                        {"governor", "performance"},
                        {"boost", "off"},
                        {"aslr", "on"},
                        {"build_flags", "-O3"},
                        {"build_type", "Release"},
                        {"fingerprint", fingerprint}}}}}};
  doc["benchmarks"] = nlohmann::json::array();
  for (const auto& [name, center] : benchmarks) {
    for (int i = 0; i < reps; ++i) {
      const double t = center * std::exp(noise(rng));
      doc["benchmarks"].push_back({{"name", name},
                                   {"run_name", name},
                                   {"run_type", "iteration"},
                                   {"repetitions", reps},
                                   {"repetition_index", i},
                                   {"threads", 1},
                                   {"iterations", 1000},
                                   {"real_time", t},
                                   {"cpu_time", t},
                                   {"time_unit", "ns"}});
    }
  }
  return doc.dump();
}

class CompareCli : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    WriteFileOrDie(dir_.File(name), text);
    return dir_.File(name);
  }
  std::string db() const { return dir_.File("p.db"); }
  TempDir dir_;
};

TEST_F(CompareCli, NoChangeExitsZero) {
  const auto a = Write("a.json", GbenchJson({{"BM_A", 100}, {"BM_B", 200}}, 10, 1));
  const auto b = Write("b.json", GbenchJson({{"BM_A", 100}, {"BM_B", 200}}, 10, 2));
  auto r = RunInProcess({"compare", a, b, "--db", db()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("NO CHANGE"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(db())) << "comparing two files must not create a database";
}

TEST_F(CompareCli, TenPercentSlowerExitsOneAndSaysRegression) {
  const auto a = Write("a.json", GbenchJson({{"BM_A", 100}, {"BM_B", 200}}, 10, 1));
  const auto b = Write("b.json", GbenchJson({{"BM_A", 110}, {"BM_B", 200}}, 10, 2));
  auto r = RunInProcess({"compare", a, b, "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["benchmarks"][0]["verdict"], "REGRESSION");
  EXPECT_EQ(j["benchmarks"][0]["n_base"], 10);
  EXPECT_TRUE(j["benchmarks"][0].contains("p_worse_adjusted"));
  EXPECT_EQ(j["summary"]["counts"]["REGRESSION"], 1);
  auto md = RunInProcess({"compare", a, b, "--format", "markdown"});
  EXPECT_NE(md.out.find("| Benchmark | Baseline | New |"), std::string::npos);
  EXPECT_NE(md.out.find("**REGRESSION**"), std::string::npos);
  // A 15% gate lets the same 10% through.
  auto loose = RunInProcess({"compare", a, b, "--threshold", "15%"});
  EXPECT_EQ(loose.exit_code, 0) << loose.out;
}

// Too little data has its own code, so CI can tell it from a typo (2).
TEST_F(CompareCli, ThreeRepetitionsExitFour) {
  const auto a = Write("a.json", GbenchJson({{"BM_A", 100}}, 3, 1));
  const auto b = Write("b.json", GbenchJson({{"BM_A", 100}}, 3, 2));
  auto r = RunInProcess({"compare", a, b});
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("fewer than 5 repetitions"), std::string::npos);
}

TEST_F(CompareCli, ErrorsExitThreeWithOneLine) {
  const auto a = Write("a.json", GbenchJson({{"BM_A", 100}}, 10, 1));
  const auto other = Write("o.json", GbenchJson({{"BM_Z", 100}}, 10, 1));
  const auto not_gbench = Write("n.json", R"({"name": "package"})");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"compare", a, "12345", "--db", db()},
                                             {"compare", a, not_gbench},
                                             {"compare", a, other},
                                             {"compare", a, a, "--metric", "instructions"}}) {
    auto r = RunInProcess(args);
    EXPECT_EQ(r.exit_code, 3) << args[2] << r.out;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  auto bad = RunInProcess({"compare", a, a, "--threshold", "five"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(CompareCli, DifferentEnvironmentsAreRefusedUnlessAllowed) {
  const auto a = Write("a.json", GbenchJson({{"BM_A", 100}}, 10, 1, "Linux 6.1"));
  const auto b = Write("b.json", GbenchJson({{"BM_A", 100}}, 10, 2, "Linux 6.8"));
  auto refused = RunInProcess({"compare", a, b});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("kernel 'Linux 6.1' vs 'Linux 6.8'"), std::string::npos)
      << refused.err;
  auto allowed = RunInProcess({"compare", a, b, "--allow-env-mismatch"});
  EXPECT_EQ(allowed.exit_code, 0);
  EXPECT_NE(allowed.err.find("warning: environments differ"), std::string::npos);
}

TEST_F(CompareCli, BaselinesKeepHistoryAndNeverDeleteRuns) {
  const auto a = Write("a.json", GbenchJson({{"BM_A", 100}}, 10, 1));
  const auto b = Write("b.json", GbenchJson({{"BM_A", 100}}, 10, 2));
  const auto slow = Write("s.json", GbenchJson({{"BM_A", 120}}, 10, 3));
  ASSERT_EQ(RunInProcess({"baseline", "import", "main", a, "--db", db()}).exit_code, 0);
  ASSERT_EQ(RunInProcess({"import", b, "--db", db()}).exit_code, 0);
  auto save = RunInProcess({"baseline", "save", "main", "latest", "--db", db()});
  ASSERT_EQ(save.exit_code, 0) << save.err;
  EXPECT_NE(save.out.find("(2 saves)"), std::string::npos) << save.out;
  auto show = RunInProcess({"baseline", "show", "main", "--db", db()});
  EXPECT_EQ(std::count(show.out.begin(), show.out.end(), '\n'), 4) << show.out;
  auto list = RunInProcess({"baseline", "list", "--db", db()});
  EXPECT_NE(list.out.find("main"), std::string::npos);

  ASSERT_EQ(RunInProcess({"import", slow, "--db", db()}).exit_code, 0);
  auto gate = RunInProcess({"compare", "main", "latest", "--db", db()});
  EXPECT_EQ(gate.exit_code, 1) << gate.out << gate.err;

  const std::string exported = dir_.File("main.json");
  ASSERT_EQ(RunInProcess({"baseline", "export", "main", "-o", exported, "--db", db()}).exit_code,
            0);
  EXPECT_NE(ReadFileOrDie(exported).find("\"BM_A\""), std::string::npos);

  ASSERT_EQ(RunInProcess({"baseline", "delete", "main", "--db", db()}).exit_code, 0);
  auto runs = RunInProcess({"runs", "--json", "--db", db()});
  EXPECT_EQ(nlohmann::json::parse(runs.out).size(), 3u);
  EXPECT_EQ(RunInProcess({"baseline", "show", "main", "--db", db()}).exit_code, 3);
  EXPECT_EQ(RunInProcess({"baseline", "save", "latest", "--db", db()}).exit_code, 2);
  EXPECT_EQ(RunInProcess({"baseline", "save", "42", "--db", db()}).exit_code, 2);
  EXPECT_EQ(RunInProcess({"baseline", "save", "bad name!", "--db", db()}).exit_code, 2);
}

// Runs of two hosts in one database (runner B has another kernel): `hosts`
// lists both, `runs --host` keeps one, and `compare --same-host` takes the
// baseline's save from the candidate's host although B saved it later.
TEST_F(CompareCli, HostsRunsByHostAndSameHostBaselines) {
  const auto a = Write("a.json", GbenchJson({{"BM_A", 100}}, 10, 1, "Linux 6.1", "aaaa1111"));
  const auto b = Write("b.json", GbenchJson({{"BM_A", 100}}, 10, 2, "Linux 6.2", "bbbb2222"));
  const auto c = Write("c.json", GbenchJson({{"BM_A", 100}}, 10, 3, "Linux 6.1", "aaaa1111"));
  ASSERT_EQ(RunInProcess({"baseline", "import", "main", a, "--db", db()}).exit_code, 0);
  ASSERT_EQ(RunInProcess({"baseline", "import", "main", b, "--db", db()}).exit_code, 0);
  ASSERT_EQ(RunInProcess({"import", c, "--db", db()}).exit_code, 0);

  auto hosts = RunInProcess({"hosts", "--json", "--db", db()});
  ASSERT_EQ(hosts.exit_code, 0) << hosts.err;
  const auto listed = nlohmann::json::parse(hosts.out);
  ASSERT_EQ(listed.size(), 2u) << hosts.out;
  std::map<std::string, int64_t> runs_of;
  for (const auto& h : listed) runs_of[h["fingerprint"]] = h["runs"];
  EXPECT_EQ(runs_of["aaaa1111"], 2);
  EXPECT_EQ(runs_of["bbbb2222"], 1);
  EXPECT_EQ(RunInProcess({"hosts", "--db", dir_.File("none.db")}).exit_code, 0);

  auto on_b = RunInProcess({"runs", "--host", "bbbb", "--json", "--db", db()});
  ASSERT_EQ(on_b.exit_code, 0) << on_b.err;
  ASSERT_EQ(nlohmann::json::parse(on_b.out).size(), 1u) << on_b.out;
  EXPECT_EQ(nlohmann::json::parse(on_b.out)[0]["host_fingerprint"], "bbbb2222");
  auto none = RunInProcess({"runs", "--host", "bb", "--json", "--db", db()});
  EXPECT_EQ(nlohmann::json::parse(none.out).size(), 0u) << "2 digits are not a prefix";

  // History across hosts: one series per host.
  auto history =
      RunInProcess({"report", "--history", "BM_*", "--db", db(), "-o", dir_.File("rep")});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const std::string csv = ReadFileOrDie(dir_.File("rep/history.csv"));
  EXPECT_NE(csv.find(",aaaa1111\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",bbbb2222\n"), std::string::npos) << csv;

  // The newest save of main is B's: another kernel, refused.
  EXPECT_EQ(RunInProcess({"compare", "main", "latest", "--db", db()}).exit_code, 3);
  auto same = RunInProcess({"compare", "main", "latest", "--same-host", "--db", db()});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  const auto d = Write("d.json", GbenchJson({{"BM_A", 100}}, 10, 4, "Linux 6.3", "dddd4444"));
  ASSERT_EQ(RunInProcess({"import", d, "--db", db()}).exit_code, 0);
  auto no_save = RunInProcess({"compare", "main", "latest", "--same-host", "--db", db()});
  EXPECT_EQ(no_save.exit_code, 3);
  EXPECT_NE(no_save.err.find("baseline 'main' has no save from host dddd4444"), std::string::npos)
      << no_save.err;
}

}  // namespace
}  // namespace perfkit::testing
