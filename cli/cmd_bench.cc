#include "cli/cmd_bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/files.h"
#include "app/measure.h"
#include "app/runs.h"
#include "cli/bench_flags.h"
#include "cli/command.h"
#include "cli/common.h"
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

}  // namespace

int RunBench(const BenchOptions& o) {
  if (!o.exec.empty()) return RunExternal(o);
  auto request = app::MakeBenchRequest(o.flags);
  if (!request.ok()) return Fail(request.status());
  auto m = app::PrepareMeasurement(*request);
  if (!m.ok()) return Fail(m.status());
  PrintSkipped(m->selection.skipped);
  auto measured = app::MeasureIntoStore(*m->store, m->selection, *request);
  if (!measured.ok()) return Fail(measured.status());
  PrintResultsTable(measured->run, stdout);
  PrintClaims(measured->run, m->selection.claims, stdout);
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
  cmd->add_option("--exec", opts->exec,
                  "Run this Google Benchmark executable instead of perfkit's suites");
  cmd->add_option("args", opts->exec_args, "Arguments for --exec (after --)");
  return [opts] {
    BenchOptions o = *opts;
    if (!o.exec_args.empty() && o.exec.empty()) {
      return Fail(kExitUsage, "unexpected arguments '" + o.exec_args[0] + "' (only with --exec)");
    }
    o.flags.progress = isatty(STDERR_FILENO);
    return RunBench(o);
  };
}

}  // namespace perfkit::cli
