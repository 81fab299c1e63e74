#include "cli/cmd_compare.h"

#include <CLI/CLI.hpp>

#include "app/database.h"
#include "app/gate.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/gate_flags.h"
#include "cli/results_output.h"

namespace perfkit::cli {

int RunCompare(const CompareOptions& options) {
  auto gate = app::MakeGateRequest(options.gate);
  if (!gate.ok()) return Fail(gate.status());
  auto judged = app::CompareRuns({options.base, options.candidate, std::move(*gate),
                                  options.same_host, app::ResolveStore(options.db)});
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
