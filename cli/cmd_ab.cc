// `perfkit ab OLD NEW`: two builds run in alternating fresh processes, ABBA,
// gated on paired per-round ratios (app/ab.h). The recommended CI mode.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <optional>

#include "app/ab.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/gate_flags.h"
#include "cli/results_output.h"

namespace perfkit::cli {

namespace {

// A plain count from `min` to `max`.
std::optional<int> ParseCount(const std::string& text, int min, int max) {
  if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const int v = std::stoi(text);
  if (v < min || v > max) return std::nullopt;
  return v;
}

}  // namespace

struct AbOptions {
  app::AbRequest request;
  app::GateFlags gate;
  std::string rounds = "16";
  std::string format = "table";
};

int RunAb(const AbOptions& o) {
  auto gate = app::MakeGateRequest(o.gate);
  if (!gate.ok()) return Fail(gate.status());
  app::AbRequest request = o.request;
  request.gate = std::move(*gate);
  if (o.rounds == "auto") {
    request.auto_rounds = true;
  } else {
    auto rounds = ParseCount(o.rounds, 2, 10000);
    if (!rounds) return Fail(kExitUsage, "--rounds must be auto or a number from 2 to 10000");
    request.rounds = *rounds;
  }
  const bool tty = isatty(STDERR_FILENO);
  auto result = app::RunAb(request, [tty](const app::AbStep& s) {
    if (!tty) return;
    const std::string decided =
        s.benchmarks > 0 ? fmt::format(", {} of {} decided", s.decided, s.benchmarks) : "";
    fmt::print(stderr, "\r\033[Kround {}/{}: {}{}", s.round, s.rounds, s.is_old ? "old" : "new",
               decided);
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
  cmd->add_option("--rounds", opts->rounds,
                  "Rounds, each running OLD and NEW once (default 16); auto: until every "
                  "benchmark is decided or the budget ends");
  const auto budget = AddBudgetFlags(cmd, &opts->gate);
  cmd->add_option("--min-time", r.min_time_s, "Seconds per benchmark per process")
      ->check(FiniteRange(0.0001, 60.0));
  AddGateFlags(cmd, &opts->gate, GateUse::kPaired);
  cmd->add_option("--format", opts->format, "table, markdown or json")
      ->check(CLI::IsMember({"table", "markdown", "json"}));
  cmd->add_option("args", r.args, "Extra arguments for Google Benchmark executables (after --)");
  return [opts, budget] {
    for (const CLI::Option* b : budget) {
      if (b->count() > 0 && opts->rounds != "auto") {
        return Fail(kExitUsage, b->get_name() + " is for --rounds auto");
      }
    }
    return RunAb(*opts);
  };
}

}  // namespace perfkit::cli
