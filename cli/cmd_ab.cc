// `perfkit ab OLD NEW`: two builds run in alternating fresh processes, ABBA,
// gated on paired per-round ratios (app/ab.h). The recommended CI mode.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "app/ab.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/gate_flags.h"
#include "cli/results_output.h"

namespace perfkit::cli {

struct AbOptions {
  app::AbRequest request;
  app::GateFlags gate;
  std::string format = "table";
};

int RunAb(const AbOptions& o) {
  auto gate = app::MakeGateRequest(o.gate);
  if (!gate.ok()) return Fail(gate.status());
  app::AbRequest request = o.request;
  request.gate = std::move(*gate);
  const bool tty = isatty(STDERR_FILENO);
  auto result = app::RunAb(request, [tty](int round, int rounds, bool is_old) {
    if (tty) fmt::print(stderr, "\r\033[Kround {}/{}: {}", round, rounds, is_old ? "old" : "new");
  });
  if (tty) fmt::print(stderr, "\r\033[K");
  if (!result.ok()) return Fail(result.status());
  PrintGateResult(*result, o.format);
  return result->exit_code;
}

Runner AddAb(CLI::App& app) {
  auto opts = std::make_shared<AbOptions>();
  app::AbRequest& r = opts->request;
  CLI::App* cmd = app.add_subcommand(
      "ab",
      "Interleaved A/B of two builds in fresh processes (ABBA rounds), gated on paired "
      "sign tests; same exit codes as compare");
  cmd->add_option("old", r.old_program, "Old perfkit build or Google Benchmark executable")
      ->required();
  cmd->add_option("new", r.new_program, "New build, same kind as OLD")->required();
  cmd->add_option("--suite", r.suites, "Suite, for perfkit builds (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--filter", r.filter, "Only benchmarks matching this regex");
  cmd->add_option("--rounds", r.rounds, "Rounds; each runs OLD and NEW once (default 16)")
      ->check(CLI::Range(2, 10000));
  cmd->add_option("--min-time", r.min_time_s, "Seconds per benchmark per process")
      ->check(FiniteRange(0.0001, 60.0));
  AddGateFlags(cmd, &opts->gate, GateUse::kPaired);
  cmd->add_option("--format", opts->format, "table, markdown or json")
      ->check(CLI::IsMember({"table", "markdown", "json"}));
  cmd->add_option("args", r.args, "Extra arguments for Google Benchmark executables (after --)");
  return [opts] { return RunAb(*opts); };
}

}  // namespace perfkit::cli
