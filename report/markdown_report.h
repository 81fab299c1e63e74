// A markdown performance report from stored runs: environment, summary,
// per-suite tables, plots and the raw data behind them. Planning (data files
// and plot jobs) and rendering are pure; the caller writes files and runs the
// matplotlib scripts in report/plots/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/compare.h"
#include "report/env_guard.h"
#include "results/result.h"

namespace perfkit::report {

struct ReportRun {
  std::string label;  // "run", "base" or "candidate"
  RunRecord run;
};

struct HistoryPoint {
  int64_t run_id = 0;
  std::string started_at;
  std::string benchmark;
  double median = 0, min = 0, max = 0;
  std::string host = {};    // the run's host: "hostname (fingerprint)"
  std::string commit = {};  // perfkit's commit that measured it
};

struct ReportInput {
  std::string title;
  std::string date;  // supplied by the caller, so tests can fix it
  std::string perfkit_version;
  std::string git_commit;
  std::vector<ReportRun> runs;  // one run, or base and candidate
  std::optional<Comparison> comparison;
  EnvCheck env;
  std::vector<std::string> suites;  // empty: all
  std::string history_glob;
  std::vector<HistoryPoint> history;
  std::map<int64_t, std::string> history_baselines;  // run id -> baseline names
  std::map<std::string, StoredProfile> profiles;     // run label -> its newest profile
};

struct PlotJob {
  std::string script;  // file name in report/plots/
  std::vector<std::string> args;
  std::string output;   // PNG file name; an SVG with the same stem is made too
  std::string section;  // "summary", "suite:<name>", "history"
  std::string caption;
};

struct ReportPlan {
  std::map<std::string, std::string> files;  // name -> content, data.csv among them
  std::vector<PlotJob> plots;
};

ReportPlan PlanReport(const ReportInput& input);

// `made` are the plots that exist; `plot_note` explains missing ones.
std::string RenderMarkdown(const ReportInput& input, const std::vector<PlotJob>& made,
                           const std::string& plot_note);

// The suites a report covers, in first-seen order.
std::vector<std::string> ReportSuites(const ReportInput& input);

}  // namespace perfkit::report
