// `perfkit report`: a markdown report with plots from stored runs, a
// baseline comparison or any two runs (app/report.h). With --compare it
// exits as the gate does.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/database.h"
#include "app/report.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/gate_flags.h"

namespace perfkit::cli {

struct ReportOptions {
  app::ReportRequest request;
  std::vector<std::string> compare;  // BASE CANDIDATE
  app::GateFlags gate;
  std::string db;
};

int RunReport(const ReportOptions& o) {
  auto gate = app::MakeGateRequest(o.gate);
  if (!gate.ok()) return Fail(gate.status());
  app::ReportRequest request = o.request;
  request.gate = std::move(*gate);
  request.db = app::ResolveStore(o.db);
  if (o.compare.size() == 2) request.compare = std::make_pair(o.compare[0], o.compare[1]);
  auto outcome = app::MakeReport(request);
  if (!outcome.ok()) return Fail(outcome.status());
  for (const std::string& w : outcome->warnings) fmt::print(stderr, "warning: {}\n", w);
  if (!outcome->plot_note.empty()) fmt::print(stderr, "{}\n", outcome->plot_note);
  fmt::print("{}\n", outcome->path);
  return outcome->exit_code;
}

Runner AddReport(CLI::App& app) {
  auto opts = std::make_shared<ReportOptions>();
  app::ReportRequest& r = opts->request;
  CLI::App* cmd = app.add_subcommand(
      "report", "Write a markdown report with plots (and the gate's exit code with --compare)");
  cmd->add_option("run", r.run, "Run id, uuid or 'latest' (default)");
  auto* baseline = cmd->add_option("--baseline", r.baseline, "Compare RUN with this baseline");
  cmd->add_option("--compare", opts->compare,
                  "BASE CANDIDATE: compare two runs, baselines or files")
      ->expected(2)
      ->excludes(baseline);
  cmd->add_option("--suite", r.suites, "Only this suite (repeatable)")->allow_extra_args(false);
  cmd->add_option("--history", r.history, "Plot the history of benchmarks matching this glob");
  cmd->add_option("--last", r.last, "How many recent runs --history covers (default 10)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("-o,--output", r.out_dir, "Output directory (default perfkit-report)");
  cmd->add_option("--title", r.title, "Report title");
  AddGateFlags(cmd, &opts->gate, GateUse::kRuns);
  AddDbFlag(cmd, &opts->db);
  return [opts] { return RunReport(*opts); };
}

}  // namespace perfkit::cli
