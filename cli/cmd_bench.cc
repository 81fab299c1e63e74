#include "cli/cmd_bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/decide.h"
#include "app/files.h"
#include "app/measure.h"
#include "app/runs.h"
#include "cli/bench_flags.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/gate_flags.h"
#include "cli/results_output.h"

namespace perfkit::cli {
namespace {

// After the tables: the JSON copy, if asked for, and where the run went.
int Finish(const RunRecord& run, const std::string& db, const std::string& json_out,
           bool interrupted) {
  if (!json_out.empty()) {
    if (Status s = app::WriteFileAtomically(json_out, app::GbenchJson(run)); !s.ok()) {
      return Fail(s);
    }
  }
  std::fflush(stdout);  // the tables first, when both streams share a pipe
  fmt::print(stderr, "{} run {} ({}) in {}\n", interrupted ? "interrupted: kept" : "stored", run.id,
             run.uuid.substr(0, 8), db);
  return interrupted ? kExitInterrupted : kExitSuccess;
}

int RunExternal(const BenchOptions& o) {
  auto external = app::BenchExternal(o.flags, o.exec, o.exec_args);
  if (!external.ok()) return Fail(external.status());
  PrintResultsTable(external->run, stdout);
  return Finish(external->run, external->db.shown(), o.flags.json_out, false);
}

// --until-decided: the run, then the gate's verdicts against BASE.
int RunUntilDecided(const BenchOptions& o) {
  if (!o.exec.empty()) return Fail(kExitUsage, "--until-decided cannot be used with --exec");
  app::BenchFlags flags = o.flags;
  const int first_block = flags.repetitions.value_or(app::SequentialPlan().first_block);
  flags.repetitions.reset();
  auto gate = app::MakeGateRequest(o.gate);
  if (!gate.ok()) return Fail(gate.status());
  if (first_block < gate->plan.first_block || first_block > gate->plan.max_repetitions) {
    return Fail(kExitUsage, fmt::format("with --until-decided, --repetitions (the first block) "
                                        "must be from {} to --max-repetitions ({})",
                                        gate->plan.first_block, gate->plan.max_repetitions));
  }
  gate->plan.first_block = first_block;
  auto request = app::MakeBenchRequest(flags);
  if (!request.ok()) return Fail(request.status());
  auto base = app::LoadBase(*request, o.until_decided);
  if (!base.ok()) return Fail(base.status());
  auto m = app::PrepareMeasurement(*request);
  if (!m.ok()) return Fail(m.status());
  PrintSkipped(m->selection.skipped);
  app::UntilDecidedRequest until{std::move(*base), o.until_decided, std::move(*gate), nullptr};
  if (o.flags.progress) {
    until.on_look = [](int rounds, size_t decided, size_t total) {
      fmt::print(stderr, "\r\033[Kround {}: {} of {} decided", rounds, decided, total);
    };
  }
  auto decided = app::MeasureUntilDecided(*m, *request, until);
  if (o.flags.progress) fmt::print(stderr, "\r\033[K");
  if (!decided.ok()) return Fail(decided.status());
  const RunRecord& run = decided->measured.run;
  PrintResultsTable(run, stdout);
  PrintClaims(run, stdout);
  fmt::print("\n");
  PrintGateResult(decided->gate, "table");
  const int code =
      Finish(run, request->db.shown(), request->json_out, decided->measured.interrupted);
  return code != kExitSuccess ? code : decided->gate.exit_code;
}

}  // namespace

int RunBench(const BenchOptions& o) {
  if (!o.until_decided.empty()) return RunUntilDecided(o);
  if (o.gate_flags_given) {
    return Fail(kExitUsage,
                "the gate's flags (--threshold, --alpha, --budget, ...) need "
                "--until-decided BASE");
  }
  if (!o.exec.empty()) return RunExternal(o);
  auto request = app::MakeBenchRequest(o.flags);
  if (!request.ok()) return Fail(request.status());
  auto m = app::PrepareMeasurement(*request);
  if (!m.ok()) return Fail(m.status());
  PrintSkipped(m->selection.skipped);
  auto measured = app::MeasureIntoStore(*m->store, m->selection, *request);
  if (!measured.ok()) return Fail(measured.status());
  PrintResultsTable(measured->run, stdout);
  PrintClaims(measured->run, stdout);
  if (m->selection.counters) {
    PrintCountersTable(measured->run, request->run.counters, m->selection.counters->unsupported(),
                       stdout);
  }
  if (m->selection.energy) {
    PrintCountersTable(measured->run, {"energy_j", "power_w", "energy_est_j", "power_est_w"},
                       {m->selection.energy_note}, stdout);
  } else if (request->run.energy) {
    fmt::print("\n{}\n", m->selection.energy_note);
  }
  return Finish(measured->run, request->db.shown(), request->json_out, measured->interrupted);
}

Runner AddBench(CLI::App& app) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* cmd =
      app.add_subcommand("bench", "Run benchmark suites (default: all) and store every repetition");
  AddMeasureFlags(cmd, &opts->flags);
  cmd->add_flag("--no-interleave", opts->flags.no_interleave,
                "Keep benchmark order fixed in every round (default: shuffled)");
  cmd->add_option("--tag", opts->flags.tags, "KEY=VALUE stored with the run (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--counters", opts->flags.counters,
                  "Count events around each repetition: libpfm4 names, comma-separated (alone: "
                  "cycles,instructions,branches,branch-misses,cache-references,cache-misses)")
      ->expected(0, 1);
  cmd->add_flag("--energy", opts->flags.energy,
                "Energy per iteration beside time: measured by an energy source, else estimated "
                "from the host's power profile (perfkit power)");
  cmd->add_option("--json", opts->flags.json_out, "Also write the run as Google Benchmark JSON");
  cmd->add_option("--until-decided", opts->until_decided,
                  "Gate against BASE (a baseline, run or file): after a first block "
                  "(--repetitions, default 5) only undecided benchmarks get more, until each is "
                  "decided or the budget ends; exit codes as compare");
  const size_t before = cmd->get_options().size();
  AddGateFlags(cmd, &opts->gate, GateUse::kRuns);
  AddBudgetFlags(cmd, &opts->gate);
  std::vector<CLI::Option*> gate_options;
  for (size_t i = before; i < cmd->get_options().size(); ++i) {
    gate_options.push_back(cmd->get_options()[i]);
  }
  cmd->add_option("--exec", opts->exec,
                  "Run this Google Benchmark executable instead of perfkit's suites");
  cmd->add_option("args", opts->exec_args, "Arguments for --exec (after --)");
  return [opts, gate_options] {
    BenchOptions o = *opts;
    for (const CLI::Option* g : gate_options) o.gate_flags_given |= g->count() > 0;
    if (!o.exec_args.empty() && o.exec.empty()) {
      return Fail(kExitUsage, "unexpected arguments '" + o.exec_args[0] + "' (only with --exec)");
    }
    o.flags.progress = isatty(STDERR_FILENO);
    return RunBench(o);
  };
}

}  // namespace perfkit::cli
