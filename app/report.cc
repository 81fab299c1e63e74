#include "app/report.h"

#include <algorithm>
#include <filesystem>

#include "app/database.h"
#include "app/exit_status.h"
#include "app/report_files.h"
#include "app/run_record.h"
#include "app/run_ref.h"
#include "build_info.h"
#include "git_commit.h"
#include "report/markdown_report.h"
#include "report/stats.h"

namespace perfkit::app {
namespace {

Result<std::vector<report::HistoryPoint>> History(store::Store& store, const ReportRequest& r) {
  auto listing = store.ListRuns(r.last);
  if (!listing.ok()) return listing.status();
  std::vector<report::HistoryPoint> points;
  for (auto it = listing->rbegin(); it != listing->rend(); ++it) {
    auto run = store.LoadRun(std::to_string(it->run.id));
    if (!run.ok()) return run.status();
    for (const auto& b : run->benchmarks) {
      if (!report::GlobMatch(r.history, b.name) || b.samples.empty()) continue;
      std::vector<double> t;
      for (const auto& s : b.samples) t.push_back(s.real_time_ns);
      // One line per host fingerprint, named by its hostname where known.
      const std::string fp = run->host.fingerprint.substr(0, 8);
      const std::string& name = run->host.hostname;
      points.push_back({run->id, run->started_at, b.name, report::Median(t),
                        *std::min_element(t.begin(), t.end()),
                        *std::max_element(t.begin(), t.end()),
                        name.empty() ? fp : name + " (" + fp + ")", run->git_commit});
    }
  }
  if (points.empty()) {
    return Status::InvalidArgument("--history '" + r.history +
                                   "' matches no benchmark in the last " + std::to_string(r.last) +
                                   " runs");
  }
  return points;
}

// Run id -> the baseline names that point at it, for the history plot.
std::map<int64_t, std::string> BaselineLabels(store::Store& store) {
  std::map<int64_t, std::string> labels;
  auto names = store.ListBaselines();
  if (!names.ok()) return labels;
  for (const auto& b : *names) {
    auto history = store.BaselineHistory(b.name);
    if (!history.ok()) continue;
    for (const auto& save : *history) {
      auto& label = labels[save.run_id];
      if (label.find(b.name) == std::string::npos) label += (label.empty() ? "" : " ") + b.name;
    }
  }
  return labels;
}

// The runs, and the gate's verdict when two are compared.
Status AddRuns(store::Store& store, const ReportRequest& r, report::ReportInput& in,
               ReportOutcome& out) {
  if (!r.compare && r.baseline.empty()) {
    auto run = ResolveRun(&store, r.run);
    if (!run.ok()) return run.status();
    if (const std::string note = report::IncompleteRunNote(*run); !note.empty()) {
      out.warnings.push_back(note);
    }
    in.runs = {{"run", std::move(*run)}};
    return OkStatus();
  }
  auto base = ResolveRun(&store, r.compare ? r.compare->first : r.baseline);
  if (!base.ok()) return base.status();
  auto cand = ResolveRun(&store, r.compare ? r.compare->second : r.run);
  if (!cand.ok()) return cand.status();
  auto judged = JudgeRuns(&store, *base, *cand, r.gate);
  if (!judged.ok()) return judged.status();
  out.warnings = judged->warnings;
  if (r.compare) out.exit_code = judged->exit_code;
  in.comparison = std::move(judged->comparison);
  in.env = std::move(judged->env);
  in.runs = {{"base", std::move(*base)}, {"candidate", std::move(*cand)}};
  return OkStatus();
}

void AddProfiles(store::Store& store, report::ReportInput& in) {
  for (const report::ReportRun& r : in.runs) {
    if (r.run.id == 0) continue;  // a file, not a stored run
    auto profiles = store.LoadProfiles(r.run.id);
    if (profiles.ok() && !profiles->empty()) in.profiles[r.label] = std::move(profiles->back());
  }
}

Result<report::ReportInput> BuildInput(store::Store& store, const ReportRequest& r,
                                       ReportOutcome& out) {
  report::ReportInput in;
  in.title = r.title.empty() ? "Performance report" : r.title;
  in.date = NowIso8601();
  in.perfkit_version = PERFKIT_VERSION;
  in.git_commit = PERFKIT_GIT_COMMIT;
  in.suites = r.suites;
  if (Status s = AddRuns(store, r, in, out); !s.ok()) return s;
  const auto suites = report::ReportSuites(in);
  for (const auto& s : r.suites) {
    if (std::find(suites.begin(), suites.end(), s) == suites.end()) {
      return Status::InvalidArgument("the report's runs have no suite '" + s + "'");
    }
  }
  if (!r.history.empty()) {
    in.history_glob = r.history;
    auto h = History(store, r);
    if (!h.ok()) return h.status();
    in.history = std::move(*h);
    in.history_baselines = BaselineLabels(store);
  }
  AddProfiles(store, in);
  return in;
}

}  // namespace

Result<ReportOutcome> MakeReport(const ReportRequest& request, Launcher& launcher) {
  auto store = OpenStore(request.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  ReportOutcome out;
  auto in = BuildInput(**store, request, out);
  if (!in.ok()) return in.status();
  std::string note;
  if (Status s = WriteReportFiles(*in, request.out_dir, launcher, &note); !s.ok()) return s;
  out.plot_note = note;
  out.path = (std::filesystem::path(request.out_dir) / "report.md").string();
  return out;
}

}  // namespace perfkit::app
