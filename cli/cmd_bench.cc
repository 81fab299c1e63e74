#include "cli/cmd_bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "build_info.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/results_output.h"
#include "report/gbench_json.h"
#include "suites/harness/exec_runner.h"
#include "suites/harness/host_context.h"
#include "suites/harness/interrupt.h"
#include "suites/harness/runner.h"

namespace perfkit::cli {
namespace {

RunRecord NewRun(const std::map<std::string, std::string>& tags, const std::string& source) {
  RunRecord run;
  run.uuid = NewUuid();
  run.started_at = NowIso8601();
  run.command_line = Invocation();
  run.perfkit_version = PERFKIT_VERSION;
  run.git_commit = PERFKIT_GIT_COMMIT;
  run.source = source;
  run.tags = tags;
  run.host = harness::ReadHostContext();
  return run;
}

// Folds one new repetition into the in-memory copy of the run.
void Accumulate(RunRecord& run, const BenchmarkResult& r) {
  for (BenchmarkResult& b : run.benchmarks) {
    if (b.name != r.name) continue;
    b.samples.insert(b.samples.end(), r.samples.begin(), r.samples.end());
    if (!r.error.empty()) b.error = r.error;
    return;
  }
  run.benchmarks.push_back(r);
}

int Finish(const RunRecord& run, const BenchOptions& options, const std::string& db_path,
           bool interrupted, const harness::Selection* selection = nullptr) {
  PrintResultsTable(run, stdout);
  if (selection != nullptr && selection->counters) {
    PrintCountersTable(run, ToRunOptions(options).counters, selection->counters->unsupported(),
                       stdout);
  }
  if (!options.json_out.empty()) {
    if (Status s = WriteFileAtomically(options.json_out, report::ToGbenchJson(run)); !s.ok()) {
      return Fail(kExitFailure, s.message());
    }
  }
  fmt::print(stderr, "{} run {} ({}) in {}\n", interrupted ? "interrupted: kept" : "stored", run.id,
             run.uuid.substr(0, 8), db_path);
  return interrupted ? kExitInterrupted : kExitSuccess;
}

int RunExternal(const BenchOptions& options, const std::map<std::string, std::string>& tags) {
  harness::ExecOptions exec;
  exec.program = options.exec;
  exec.args = options.exec_args;
  exec.repetitions = options.repetitions;
  exec.min_time_s = options.min_time_s;
  exec.filter = options.filter;
  auto store = OpenStore(options.db);
  if (!store.ok()) return Fail(kExitFailure, store.error());
  harness::InstallInterruptHandler();
  auto json = harness::RunBenchmarkExecutable(exec);
  harness::RemoveInterruptHandler();
  if (!json.ok()) {
    return Fail(harness::InterruptRequested() ? kExitInterrupted : kExitFailure, json.error());
  }
  auto parsed = report::FromGbenchJson(*json, "the output of '" + options.exec + "'");
  if (!parsed.ok()) return Fail(kExitFailure, parsed.error());
  RunRecord run = NewRun(tags, "exec");
  run.benchmarks = std::move(parsed->benchmarks);
  run.host.benchmark_build_type = parsed->host.benchmark_build_type;
  run.raw_json = std::move(*json);
  run.status = RunStatus::kComplete;
  run.ended_at = NowIso8601();
  if (Status s = (*store)->SaveRun(run); !s.ok()) return Fail(kExitFailure, s.message());
  return Finish(run, options, DatabasePath(options.db), false);
}

}  // namespace

Result<MeasuredRun> MeasureIntoStore(store::Store& store, const harness::Selection& selection,
                                     const harness::RunOptions& run_options,
                                     const std::map<std::string, std::string>& tags) {
  MeasuredRun m;
  m.run = NewRun(tags, "perfkit");
  // Declared up front: the stored run keeps suite order, and an interrupted
  // one shows what never ran.
  for (const auto& b : selection.benchmarks) {
    BenchmarkResult declared;
    declared.name = b.name;
    declared.suite = b.name.substr(0, b.name.find('/'));
    declared.role = b.role;
    m.run.benchmarks.push_back(std::move(declared));
  }
  if (Status s = store.BeginRun(m.run); !s.ok()) return s;
  Status write_error;
  harness::InstallInterruptHandler();
  const bool finished = harness::Run(selection, run_options, [&](const BenchmarkResult& r) {
    if (!write_error.ok()) return;
    write_error = store.AddResult(m.run.id, r);
    if (!write_error.ok()) harness::RequestInterrupt();  // stop measuring what we cannot keep
    Accumulate(m.run, r);
  });
  harness::RemoveInterruptHandler();
  harness::ClearInterrupt();
  m.interrupted = !finished;
  m.run.status = finished ? RunStatus::kComplete : RunStatus::kInterrupted;
  m.run.ended_at = NowIso8601();
  Status closed = store.FinishRun(m.run.id, m.run.status, m.run.ended_at);
  if (!write_error.ok()) return write_error;
  if (!closed.ok()) return closed;
  return m;
}

harness::RunOptions ToRunOptions(const BenchOptions& options) {
  harness::RunOptions r;
  r.suites = options.suites;
  r.filter = options.filter;
  r.repetitions = options.repetitions;
  r.min_time_s = options.min_time_s;
  r.interleave = !options.no_interleave;
  r.progress = options.progress;
  if (options.counters) {
    r.counters = harness::DefaultCounters();
    if (!options.counter_list.empty()) {
      r.counters.clear();
      for (size_t from = 0;;) {
        const size_t comma = options.counter_list.find(',', from);
        const std::string name = options.counter_list.substr(from, comma - from);
        if (!name.empty()) r.counters.push_back(name);
        if (comma == std::string::npos) break;
        from = comma + 1;
      }
    }
  }
  return r;
}

int RunBench(const BenchOptions& options) {
  auto tags = ParseTags(options.tags);
  if (!tags.ok()) return Fail(kExitUsage, tags.error());
  if (!options.exec.empty()) return RunExternal(options, *tags);
  const harness::RunOptions run_options = ToRunOptions(options);
  auto selection = harness::Select(run_options);
  if (!selection.ok()) return Fail(kExitUsage, selection.error());
  auto store = OpenStore(options.db);
  if (!store.ok()) return Fail(kExitFailure, store.error());
  for (const std::string& s : selection->skipped) fmt::print(stderr, "skipping {}\n", s);
  auto measured = MeasureIntoStore(**store, *selection, run_options, *tags);
  if (!measured.ok()) return Fail(kExitFailure, measured.error());
  return Finish(measured->run, options, DatabasePath(options.db), measured->interrupted,
                &*selection);
}

Runner AddBench(CLI::App& app) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* cmd =
      app.add_subcommand("bench", "Run benchmark suites (default: all) and store every repetition");
  cmd->add_option("--suite", opts->suites, "Suite to run (repeatable); see 'perfkit list'")
      ->allow_extra_args(false);
  cmd->add_option("--filter", opts->filter, "Only benchmarks whose name matches this regex");
  auto* reps = cmd->add_option("--repetitions", opts->repetitions, "Repetitions per benchmark")
                   ->check(CLI::Range(1, 1000));
  auto* min_time = cmd->add_option("--min-time", opts->min_time_s, "Minimum seconds per repetition")
                       ->check(CLI::Range(0.0001, 60.0));
  cmd->add_flag("--quick", opts->quick, "Smoke run: 3 repetitions of 0.01 s");
  cmd->add_flag("--no-interleave", opts->no_interleave,
                "Keep benchmark order fixed in every round (default: shuffled)");
  cmd->add_option("--db", opts->db, "SQLite database (default $PERFKIT_DB or ./perfkit.db)");
  cmd->add_option("--tag", opts->tags, "KEY=VALUE stored with the run (repeatable)")
      ->allow_extra_args(false);
  auto* counters =
      cmd->add_option("--counters", opts->counter_list,
                      "Count events around each repetition: libpfm4 names, comma-separated (alone: "
                      "cycles,instructions,branches,branch-misses,cache-references,cache-misses)")
          ->expected(0, 1);
  cmd->add_option("--json", opts->json_out, "Also write the run as Google Benchmark JSON");
  cmd->add_option("--exec", opts->exec,
                  "Run this Google Benchmark executable instead of perfkit's suites");
  cmd->add_option("args", opts->exec_args, "Arguments for --exec (after --)");
  return [opts, reps, min_time, counters] {
    opts->counters = counters->count() > 0;
    BenchOptions o = *opts;
    if (o.quick && reps->count() == 0) o.repetitions = 3;
    if (o.quick && min_time->count() == 0) o.min_time_s = 0.01;
    if (!o.exec_args.empty() && o.exec.empty()) {
      return Fail(kExitUsage, "unexpected arguments '" + o.exec_args[0] + "' (only with --exec)");
    }
    o.progress = isatty(STDERR_FILENO);
    return RunBench(o);
  };
}

}  // namespace perfkit::cli
