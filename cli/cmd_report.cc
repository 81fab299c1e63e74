// `perfkit report`: a markdown report with plots from stored runs, a
// baseline comparison or any two runs. Everything is written to a staging
// directory first; report.md is moved into place last, so a failure never
// leaves a half-written report where a good one was.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "build_info.h"
#include "cli/cmd_compare.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/run_ref.h"
#include "report/markdown_report.h"
#include "report/stats.h"

namespace perfkit::cli {

namespace fs = std::filesystem;

struct ReportOptions {
  std::string run = "latest";
  std::string baseline;
  std::vector<std::string> compare;  // BASE CANDIDATE
  std::vector<std::string> suites;
  std::string history;
  int last = 10;
  std::string out_dir = "perfkit-report";
  std::string title;
  std::vector<std::string> thresholds;
  std::string db;
};

namespace {

std::string PlotsDir() {
  const char* env = std::getenv("PERFKIT_PLOTS_DIR");
  return env && *env ? env : PERFKIT_PLOTS_DIR;
}

std::string Python() {
  const char* env = std::getenv("PERFKIT_PYTHON");
  return env && *env ? env : "/usr/bin/python3";
}

// Runs a program quietly; its stderr is returned in *err on failure.
bool RunQuiet(const std::vector<std::string>& argv, const std::string& err_path, std::string* err) {
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    FILE* e = std::fopen(err_path.c_str(), "w");
    if (e) dup2(fileno(e), STDERR_FILENO);
    FILE* n = std::fopen("/dev/null", "w");
    if (n) dup2(fileno(n), STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    std::fprintf(stderr, "cannot execute %s\n", args[0]);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  auto text = ReadFile(err_path);
  *err = text.ok() ? *text : "";
  while (!err->empty() && err->back() == '\n') err->pop_back();
  const size_t last = err->rfind('\n');
  if (last != std::string::npos) *err = err->substr(last + 1);
  return false;
}

// Runs the plot jobs; returns the ones that produced a PNG and, in *note,
// what the reader should know about the others.
std::vector<report::PlotJob> MakePlots(const report::ReportPlan& plan, const fs::path& staging,
                                       std::string* note) {
  std::string err;
  if (!fs::exists(Python()) ||
      !RunQuiet({Python(), "-c", "import matplotlib"}, staging / ".err", &err)) {
    *note = "Plots skipped: " + Python() +
            " with matplotlib is needed (apt-get install python3-matplotlib).";
    return {};
  }
  std::vector<report::PlotJob> made;
  std::vector<std::string> failed;
  for (const auto& job : plan.plots) {
    std::vector<std::string> argv = {Python(), PlotsDir() + "/" + job.script};
    for (const auto& a : job.args) argv.push_back(plan.files.count(a) ? (staging / a).string() : a);
    argv.push_back((staging / job.output).string());
    if (RunQuiet(argv, staging / ".err", &err) && fs::exists(staging / job.output) &&
        fs::file_size(staging / job.output) > 0) {
      made.push_back(job);
    } else {
      failed.push_back(job.output + " (" + err + ")");
    }
  }
  fs::remove(staging / ".err");
  if (!failed.empty()) {
    *note = "Some plots could not be made: ";
    for (size_t i = 0; i < failed.size(); ++i) *note += (i ? "; " : "") + failed[i];
  }
  return made;
}

Result<std::vector<report::HistoryPoint>> History(store::Store& store, const ReportOptions& o,
                                                  std::map<int64_t, std::string>* baselines) {
  auto listing = store.ListRuns(o.last);
  if (!listing.ok()) return listing.status();
  std::vector<report::HistoryPoint> points;
  for (auto it = listing->rbegin(); it != listing->rend(); ++it) {
    auto run = store.LoadRun(std::to_string(it->run.id));
    if (!run.ok()) return run.status();
    for (const auto& b : run->benchmarks) {
      if (!report::GlobMatch(o.history, b.name) || b.samples.empty()) continue;
      std::vector<double> t;
      for (const auto& s : b.samples) t.push_back(s.real_time_ns);
      points.push_back({run->id, run->started_at, b.name, report::Median(t),
                        *std::min_element(t.begin(), t.end()), *std::max_element(t.begin(), t.end())});
    }
  }
  if (points.empty()) return Status::Error("--history '" + o.history + "' matches no benchmark in the last " + std::to_string(o.last) + " runs");
  auto names = store.ListBaselines();
  if (names.ok()) {
    for (const auto& b : *names) {
      auto history = store.BaselineHistory(b.name);
      if (!history.ok()) continue;
      for (const auto& save : *history) {
        auto& label = (*baselines)[save.run_id];
        if (label.find(b.name) == std::string::npos) label += (label.empty() ? "" : " ") + b.name;
      }
    }
  }
  return points;
}

// Moves the staged files into the output directory, report.md last.
Status Publish(const fs::path& staging, const fs::path& out_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(staging)) {
    if (entry.path().filename() == "report.md") continue;
    fs::rename(entry.path(), out_dir / entry.path().filename(), ec);
    if (ec) return Status::Error("cannot write " + (out_dir / entry.path().filename()).string() + ": " + ec.message());
  }
  fs::rename(staging / "report.md", out_dir / "report.md", ec);
  if (ec) return Status::Error("cannot write " + (out_dir / "report.md").string() + ": " + ec.message());
  fs::remove_all(staging, ec);
  return OkStatus();
}

// Resolves the runs, compares them if asked, and gathers the history.
// Returns the exit code on failure, having printed why.
Result<report::ReportInput> BuildInput(store::Store& store, const ReportOptions& o, int* code) {
  report::ReportInput in;
  in.title = o.title.empty() ? "Performance report" : o.title;
  in.date = NowIso8601();
  in.perfkit_version = PERFKIT_VERSION;
  in.git_commit = PERFKIT_GIT_COMMIT;
  in.suites = o.suites;
  *code = kExitFailure;
  if (!o.compare.empty() || !o.baseline.empty()) {
    auto base = ResolveRun(&store, o.compare.empty() ? o.baseline : o.compare[0]);
    if (!base.ok()) return base.status();
    auto cand = ResolveRun(&store, o.compare.empty() ? o.run : o.compare[1]);
    if (!cand.ok()) return cand.status();
    report::CompareOptions compare;
    if (Status s = ParseThresholds(o.thresholds, compare); !s.ok()) {
      *code = kExitUsage;
      return s;
    }
    if (auto noise = store.LoadNoiseFloors(cand->host.fingerprint, compare.metric); noise.ok()) {
      compare.noise = *noise;
    }
    auto c = report::Compare(*base, *cand, compare);
    if (!c.ok()) return c.status();
    in.comparison = std::move(*c);
    in.env = report::CheckEnvironments(base->host, cand->host);
    in.runs = {{"base", std::move(*base)}, {"candidate", std::move(*cand)}};
  } else {
    auto run = ResolveRun(&store, o.run);
    if (!run.ok()) return run.status();
    in.runs = {{"run", std::move(*run)}};
  }
  *code = kExitUsage;
  const auto suites = report::ReportSuites(in);
  for (const auto& s : o.suites) {
    if (std::find(suites.begin(), suites.end(), s) == suites.end()) {
      return Status::Error("the report's runs have no suite '" + s + "'");
    }
  }
  if (!o.history.empty()) {
    in.history_glob = o.history;
    auto h = History(store, o, &in.history_baselines);
    if (!h.ok()) return h.status();
    in.history = std::move(*h);
  }
  return in;
}

// Stages data files, plots and report.md, then publishes them.
Status WriteReport(const report::ReportInput& in, const fs::path& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::Error("cannot create '" + out_dir.string() + "': " + ec.message());
  const fs::path staging = out_dir / (".staging-" + NewUuid().substr(0, 8));
  fs::create_directories(staging, ec);
  if (ec) return Status::Error("cannot write in '" + out_dir.string() + "': " + ec.message());
  const report::ReportPlan plan = report::PlanReport(in);
  Status written;
  for (const auto& [name, content] : plan.files) {
    if (written.ok()) written = WriteFileAtomically((staging / name).string(), content);
  }
  if (written.ok()) {
    std::string note;
    const auto made = MakePlots(plan, staging, &note);
    if (!note.empty()) fmt::print(stderr, "{}\n", note);
    written = WriteFileAtomically((staging / "report.md").string(),
                                  report::RenderMarkdown(in, made, note));
  }
  if (written.ok()) written = Publish(staging, out_dir);
  if (!written.ok()) fs::remove_all(staging, ec);
  return written;
}

}  // namespace

int RunReport(const ReportOptions& o) {
  auto opened = OpenStore(o.db);
  if (!opened.ok()) return Fail(kExitFailure, opened.error());
  int code = kExitFailure;
  auto in = BuildInput(**opened, o, &code);
  if (!in.ok()) return Fail(code, in.error());
  if (Status s = WriteReport(*in, o.out_dir); !s.ok()) return Fail(kExitFailure, s.message());
  fmt::print("{}\n", (fs::path(o.out_dir) / "report.md").string());
  return in->comparison && !o.compare.empty() ? GateExitCode(*in->comparison) : kExitSuccess;
}

Runner AddReport(CLI::App& app) {
  auto opts = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write a markdown report with plots (and the gate's exit code with --compare)");
  cmd->add_option("run", opts->run, "Run id, uuid or 'latest' (default)");
  auto* baseline = cmd->add_option("--baseline", opts->baseline, "Compare RUN with this baseline");
  cmd->add_option("--compare", opts->compare, "BASE CANDIDATE: compare two runs, baselines or files")
      ->expected(2)
      ->excludes(baseline);
  cmd->add_option("--suite", opts->suites, "Only this suite (repeatable)")->allow_extra_args(false);
  cmd->add_option("--history", opts->history, "Plot the history of benchmarks matching this glob");
  cmd->add_option("--last", opts->last, "How many recent runs --history covers (default 10)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("-o,--output", opts->out_dir, "Output directory (default perfkit-report)");
  cmd->add_option("--title", opts->title, "Report title");
  cmd->add_option("--threshold", opts->thresholds, "As for compare (repeatable)")->allow_extra_args(false);
  cmd->add_option("--db", opts->db, "SQLite database (default $PERFKIT_DB or ./perfkit.db)");
  return [opts] { return RunReport(*opts); };
}

}  // namespace perfkit::cli
