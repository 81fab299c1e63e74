// The history section of a markdown report: each benchmark's median across
// runs, the steps found in it (changepoints.h), the chart's data, and a
// table short enough to read at 10 runs and at 10,000. Used by
// markdown_report.cc.
#pragma once

#include <string>
#include <vector>

#include "report/markdown_report.h"

namespace perfkit::report {

struct HistoryStep {
  std::string benchmark;
  std::string host;
  int64_t run_id = 0;  // the first run at the new level
  std::string started_at;
  std::string commit;
  double before = 0, after = 0;  // medians of the levels, ns
};

// Steps of 2% or more in each benchmark's (and host's) median, in run order.
std::vector<HistoryStep> HistorySteps(const std::vector<HistoryPoint>& points);

// history.csv, history_steps.csv and the chart.
void PlanHistory(const ReportInput& input, ReportPlan& plan);

// `links`: the chart's image links, already rendered.
std::string HistoryMarkdown(const ReportInput& input, const std::string& links);

}  // namespace perfkit::report
