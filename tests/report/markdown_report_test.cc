// The report's markdown from fixed runs against golden files (no clock in
// it: the date is an input), and the plot scripts on the CSVs it plans.
#include "report/markdown_report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "report/compare_format.h"
#include "report/exports.h"
#include "report/units.h"
#include "tests/test_util.h"

namespace perfkit::report {
namespace {

using testing::ReadFileOrDie;
using testing::RunCommand;
using testing::SourceDir;
using testing::TempDir;
using testing::WriteFileOrDie;

RunRecord FixedRun(int64_t id, double slow) {
  RunRecord run;
  run.id = id;
  run.uuid = "run-" + std::to_string(id);
  run.started_at = "2026-11-20T10:00:0" + std::to_string(id) + "Z";
  run.status = RunStatus::kComplete;
  run.host.cpu_model = "AMD EPYC";
  run.host.logical_cpus = run.host.physical_cores = 2;
  run.host.cache_bytes = {{"L1d", 32768}, {"L2", 524288}};
  run.host.kernel = "Linux 6.1";
  run.host.hypervisor = "KVM";
  run.host.governor = run.host.boost = "unavailable";
  run.host.build_type = "Release";
  run.host.compiler = "GNU 12.2.0";
  const char* impls[] = {"fast", "slow", "peer"};
  for (const char* impl : impls) {
    for (int size : {64, 4096}) {
      BenchmarkResult b;
      b.name = std::string("crc32/crc32c/") + impl + "/" + std::to_string(size);
      b.suite = "crc32";
      b.role = std::string(impl) == "peer" ? Role::kPeer : Role::kOurs;
      const double base = size / (std::string(impl) == "fast" ? 20.0 : impl[0] == 's' ? 2.0 : 16.0);
      for (int i = 0; i < 6; ++i) {
        Sample s;
        s.repetition_index = i;
        s.iterations = 1000;
        s.real_time_ns = base * (1 + 0.01 * (i % 3)) * (std::string(impl) == "fast" ? slow : 1.0);
        s.cpu_time_ns = s.real_time_ns;
        s.counters["bytes_per_second"] = size / s.real_time_ns * 1e9;
        b.samples.push_back(s);
      }
      run.benchmarks.push_back(b);
    }
  }
  return run;
}

ReportInput SingleRun() {
  ReportInput in;
  in.title = "Golden";
  in.date = "2026-11-21T00:00:00Z";
  in.perfkit_version = "0.1.0";
  in.git_commit = "abc123";
  in.runs = {{"run", FixedRun(1, 1.0)}};
  return in;
}

ReportInput Comparing() {
  ReportInput in = SingleRun();
  in.runs = {{"base", FixedRun(1, 1.0)}, {"candidate", FixedRun(2, 1.2)}};
  in.runs[1].run.status = RunStatus::kInterrupted;
  in.comparison = *Compare(in.runs[0].run, in.runs[1].run, {});
  return in;
}

void ExpectGolden(const std::string& text, const std::string& name) {
  const std::string path = SourceDir() + "/tests/golden/" + name;
  if (std::getenv("PERFKIT_UPDATE_GOLDEN")) WriteFileOrDie(path, text);
  EXPECT_EQ(text, ReadFileOrDie(path)) << "regenerate with PERFKIT_UPDATE_GOLDEN=1 if intended";
}

TEST(MarkdownReport, SingleRunMatchesGolden) {
  const ReportInput in = SingleRun();
  const ReportPlan plan = PlanReport(in);
  ExpectGolden(RenderMarkdown(in, plan.plots, ""), "report_run.md");
}

TEST(MarkdownReport, ComparisonMatchesGolden) {
  const ReportInput in = Comparing();
  const ReportPlan plan = PlanReport(in);
  const std::string md = RenderMarkdown(in, plan.plots, "");
  EXPECT_NE(md.find("**REGRESSION**"), std::string::npos);
  EXPECT_NE(md.find("candidate: run 2 was interrupted: its results are partial"),
            std::string::npos);
  ExpectGolden(md, "report_compare.md");
}

// One convention for change: compare's table, its markdown and the report
// give each benchmark of the same pair of runs the same words, and they
// mean the candidate's time against the base's.
TEST(ChangeConvention, CompareAndReportSayTheSameForTheSameRuns) {
  EXPECT_EQ(FormatChange(1.25, false), "+25.0% worse");
  EXPECT_EQ(FormatChange(0.8, false), "-20.0% better");
  EXPECT_EQ(FormatChange(1.25, true), "+25.0% better");
  EXPECT_EQ(FormatChange(1.0004, false), "+0.0%");
  const ReportInput in = Comparing();
  const std::string text = FormatComparisonText(*in.comparison, false);
  const std::string markdown = FormatComparisonMarkdown(*in.comparison);
  const std::string report = RenderMarkdown(in, PlanReport(in).plots, "");
  const std::string legend =
      "change: the candidate's real_time against the base's (lower is "
      "better)";
  for (const std::string* out : {&text, &markdown, &report}) {
    EXPECT_NE(out->find(legend), std::string::npos) << *out;
  }
  for (const auto& b : in.comparison->benchmarks) {
    const std::string change = FormatChange(b.ratio, false);
    EXPECT_NE(text.find(b.name), std::string::npos);
    // In each output the benchmark's row carries the same change.
    for (const std::string* out : {&text, &markdown, &report}) {
      const size_t row = out->find(b.name);
      ASSERT_NE(row, std::string::npos) << b.name;
      const std::string line = out->substr(row, out->find('\n', row) - row);
      EXPECT_NE(line.find(change), std::string::npos) << line;
    }
  }
  EXPECT_NE(text.find("+20.0% worse"), std::string::npos) << text;
}

TEST(MarkdownReport, WithoutPlotsSaysWhy) {
  const ReportInput in = SingleRun();
  const std::string md = RenderMarkdown(in, {}, "Plots skipped: install python3-matplotlib.");
  EXPECT_NE(md.find("> Plots skipped"), std::string::npos);
  EXPECT_EQ(md.find("!["), std::string::npos);
}

TEST(MarkdownReport, PlotScriptsMakePngsFromPlannedData) {
  if (RunCommand({"/usr/bin/python3", "-c", "import matplotlib"}).exit_code != 0) {
    GTEST_SKIP() << "matplotlib missing: apt-get install python3-matplotlib";
  }
  ReportInput in = Comparing();
  in.history_glob = "crc32/*";
  in.history = {{1, "2026-11-20", "crc32/crc32c/fast/64", 3.2, 3.1, 3.4},
                {2, "2026-11-21", "crc32/crc32c/fast/64", 3.9, 3.8, 4.0}};
  in.history_baselines[1] = "main";
  const ReportPlan plan = PlanReport(in);
  TempDir dir;
  for (const auto& [name, content] : plan.files) WriteFileOrDie(dir.File(name), content);
  ASSERT_GE(plan.plots.size(), 5u);
  for (const auto& job : plan.plots) {
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     SourceDir() + "/report/plots/" + job.script};
    for (const auto& a : job.args) argv.push_back(plan.files.count(a) ? dir.File(a) : a);
    argv.push_back(dir.File(job.output));
    auto r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << job.script << ": " << r.err;
    const std::string png = ReadFileOrDie(dir.File(job.output));
    EXPECT_GT(png.size(), 1000u) << job.output;
    EXPECT_EQ(png.substr(1, 3), "PNG") << job.output;
    const std::string svg = dir.File(job.output.substr(0, job.output.size() - 4) + ".svg");
    EXPECT_TRUE(std::filesystem::exists(svg)) << svg;
  }
}

TEST(Exports, BencherGithubActionAndCsv) {
  const RunRecord run = FixedRun(7, 1.0);
  const auto bmf = nlohmann::json::parse(ToBencherJson(run));
  const auto& latency = bmf["crc32/crc32c/fast/64"]["latency"];
  EXPECT_LE(latency["lower_value"].get<double>(), latency["value"].get<double>());
  EXPECT_GE(latency["upper_value"].get<double>(), latency["value"].get<double>());
  EXPECT_TRUE(bmf["crc32/crc32c/fast/64"].contains("throughput"));
  const auto gh = nlohmann::json::parse(ToGithubActionJson(run));
  ASSERT_EQ(gh.size(), run.benchmarks.size());
  EXPECT_EQ(gh[0]["unit"], "ns");
  EXPECT_EQ(gh[0]["range"].get<std::string>().rfind("± ", 0), 0u);
  const std::string csv = ToRepetitionCsv({&run}, {"7"});
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 6 * 6);  // header + rows
  EXPECT_EQ(csv.rfind("side,run_id,run_uuid,benchmark,role,repetition,", 0), 0u);
  EXPECT_EQ(CsvField("a,\"b\""), "\"a,\"\"b\"\"\"");
}

}  // namespace
}  // namespace perfkit::report
