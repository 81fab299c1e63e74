#include "cli/cmd_compare.h"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "app/database.h"
#include "app/run_ref.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/gate_flags.h"
#include "cli/results_output.h"

namespace perfkit::cli {

int RunCompare(const CompareOptions& options) {
  auto gate = app::MakeGateRequest(options.gate);
  if (!gate.ok()) return Fail(gate.status());
  // Two files need no database; do not create one as a side effect.
  std::unique_ptr<store::Store> store;
  const bool files_only = app::IsFileRef(options.base) && app::IsFileRef(options.candidate);
  if (!files_only || app::DatabaseExists(options.db)) {
    auto opened = app::OpenStore(options.db, store::OpenMode::kReadOnly);
    if (!opened.ok()) return Fail(opened.status());
    store = std::move(*opened);
  }
  // --same-host: BASE depends on CANDIDATE's host; otherwise in order.
  Result<RunRecord> base = Status::Error("");
  if (!options.same_host) {
    base = app::ResolveRun(store.get(), options.base);
    if (!base.ok()) return Fail(base.status());
  }
  auto cand = app::ResolveRun(store.get(), options.candidate);
  if (!cand.ok()) return Fail(cand.status());
  if (options.same_host) {
    base = app::ResolveRun(store.get(), options.base, cand->host.fingerprint);
    if (!base.ok()) return Fail(base.status());
  }
  auto judged = app::JudgeRuns(store.get(), *base, *cand, *gate);
  if (!judged.ok()) return Fail(judged.status());
  PrintGateResult(*judged, options.format);
  return judged->exit_code;
}

Runner AddCompare(CLI::App& app) {
  auto opts = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Compare two runs with Mann-Whitney U, Hodges-Lehmann intervals and Benjamini-Hochberg; "
      "exit 0 no regression, 1 regression, 4 too little data (<5 repetitions), 3 error or "
      "incomparable environments");
  cmd->add_option("base", opts->base, "Run id, uuid, 'latest', baseline name or JSON file")
      ->required();
  cmd->add_option("candidate", opts->candidate, "Same forms as BASE")->required();
  AddGateFlags(cmd, &opts->gate, GateUse::kRuns);
  cmd->add_option("--format", opts->format, "table, markdown or json")
      ->check(CLI::IsMember({"table", "markdown", "json"}));
  cmd->add_flag("--same-host", opts->same_host,
                "BASE, a baseline: its newest save made on CANDIDATE's host (see 'perfkit hosts')");
  AddDbFlag(cmd, &opts->db);
  return [opts] { return RunCompare(*opts); };
}

}  // namespace perfkit::cli
