#include "report/history.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "report/changepoints.h"
#include "report/exports.h"
#include "report/markdown_escape.h"
#include "report/units.h"

namespace perfkit::report {
namespace {

// Every run is listed while the table stays short enough to read.
constexpr size_t kMostRowsListed = 60;

using SeriesKey = std::pair<std::string, std::string>;  // benchmark, host

std::map<SeriesKey, std::vector<const HistoryPoint*>> Series(
    const std::vector<HistoryPoint>& points) {
  std::map<SeriesKey, std::vector<const HistoryPoint*>> series;
  for (const auto& p : points) series[{p.benchmark, p.host}].push_back(&p);
  for (auto& [key, v] : series) {
    std::stable_sort(v.begin(), v.end(), [](const HistoryPoint* a, const HistoryPoint* b) {
      return a->run_id < b->run_id;
    });
  }
  return series;
}

std::string Change(double before, double after) {
  const double c = after / before - 1;
  return fmt::format("{:+.1f}% {}", c * 100, c > 0 ? "slower" : "faster");
}

// "8.1% slower", for a sentence.
std::string Became(double before, double after) {
  const double c = after / before - 1;
  return fmt::format("{:.1f}% {}", std::fabs(c) * 100, c > 0 ? "slower" : "faster");
}

}  // namespace

std::vector<HistoryStep> HistorySteps(const std::vector<HistoryPoint>& points) {
  std::vector<HistoryStep> steps;
  for (const auto& [key, series] : Series(points)) {
    std::vector<double> medians;
    for (const HistoryPoint* p : series) medians.push_back(p->median);
    for (const ChangePoint& cp : FindChangePoints(medians)) {
      const HistoryPoint& at = *series[cp.index];
      steps.push_back(
          {key.first, key.second, at.run_id, at.started_at, at.commit, cp.before, cp.after});
    }
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const HistoryStep& a, const HistoryStep& b) { return a.run_id < b.run_id; });
  return steps;
}

void PlanHistory(const ReportInput& in, ReportPlan& plan) {
  if (in.history.empty()) return;
  std::string csv = "run_id,started_at,benchmark,median_ns,min_ns,max_ns,baselines,host\n";
  for (const auto& p : in.history) {
    auto it = in.history_baselines.find(p.run_id);
    csv += fmt::format(
        "{},{},{},{},{},{},{},{}\n", p.run_id, p.started_at, CsvField(p.benchmark), p.median, p.min,
        p.max, CsvField(it == in.history_baselines.end() ? "" : it->second), CsvField(p.host));
  }
  plan.files["history.csv"] = csv;
  std::string steps = "benchmark,host,run_id,before_ns,after_ns\n";
  for (const HistoryStep& s : HistorySteps(in.history)) {
    steps += fmt::format("{},{},{},{},{}\n", CsvField(s.benchmark), CsvField(s.host), s.run_id,
                         s.before, s.after);
  }
  plan.files["history_steps.csv"] = steps;
  plan.plots.push_back({"history.py",
                        {"history.csv", "history_steps.csv"},
                        "history.png",
                        "history",
                        "Median time per run relative to each benchmark's first runs shown (band: "
                        "fastest to slowest repetition); steps found marked, baselines dotted"});
}

std::string HistoryMarkdown(const ReportInput& in, const std::string& links) {
  const auto series = Series(in.history);
  std::set<int64_t> runs;
  std::set<std::string> hosts;
  for (const auto& p : in.history) {
    runs.insert(p.run_id);
    hosts.insert(p.host);
  }
  std::string out = fmt::format("## History of {}\n\n", MarkdownCode(in.history_glob));
  out += fmt::format("{} runs (run {} to run {}), {} benchmark series{}.\n\n", runs.size(),
                     *runs.begin(), *runs.rbegin(), series.size(),
                     hosts.size() > 1 ? fmt::format(" on {} hosts", hosts.size()) : "");
  const auto steps = HistorySteps(in.history);
  if (steps.empty()) {
    out += "No step of 2% or more in any benchmark's median.\n\n";
  } else {
    out += "Steps found (where a median moved to a new level and stayed for at least 3 runs):\n\n";
    for (const HistoryStep& s : steps) {
      std::string when = s.commit.substr(0, 10);
      const std::string date = s.started_at.substr(0, 10);
      if (!date.empty()) when += (when.empty() ? "" : ", ") + date;
      out += fmt::format(
          "- {}{} got {} at run {}{}: {} before, {} after\n", MarkdownCode(s.benchmark),
          hosts.size() > 1 ? " on " + MarkdownText(s.host) : "", Became(s.before, s.after),
          s.run_id, when.empty() ? "" : " (" + MarkdownText(when) + ")", FormatDuration(s.before),
          FormatDuration(s.after));
    }
    out += "\n";
  }
  out += links;
  if (in.history.size() <= kMostRowsListed) {
    out +=
        "| Run | Started | Benchmark | Median | Min | Max | Baselines "
        "|\n|---:|---|---|---:|---:|---:|---|\n";
    for (const auto& p : in.history) {
      auto it = in.history_baselines.find(p.run_id);
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", p.run_id,
                         MarkdownText(p.started_at), MarkdownCode(p.benchmark),
                         FormatDuration(p.median), FormatDuration(p.min), FormatDuration(p.max),
                         it == in.history_baselines.end() ? "" : MarkdownText(it->second));
    }
    return out + "\n";
  }
  out +=
      "| Benchmark | Runs | First median | Last median | First to last | Fastest median | "
      "Slowest median |\n|---|---:|---:|---:|---|---:|---:|\n";
  for (const auto& [key, v] : series) {
    auto [lo, hi] = std::minmax_element(v.begin(), v.end(),
                                        [](auto* a, auto* b) { return a->median < b->median; });
    out += fmt::format("| {}{} | {} | {} | {} | {} | {} | {} |\n", MarkdownCode(key.first),
                       hosts.size() > 1 ? " on " + MarkdownText(key.second) : "", v.size(),
                       FormatDuration(v.front()->median), FormatDuration(v.back()->median),
                       Change(v.front()->median, v.back()->median), FormatDuration((*lo)->median),
                       FormatDuration((*hi)->median));
  }
  return out + "\nEvery run's median, fastest and slowest repetition are in `history.csv`.\n\n";
}

}  // namespace perfkit::report
