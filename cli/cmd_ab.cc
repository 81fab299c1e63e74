// `perfkit ab OLD NEW`: two builds (perfkit binaries or Google Benchmark
// executables) run in alternating fresh processes, ABBA, and gated on paired
// per-round ratios. Drift of the machine hits both sides of a round alike,
// which is why this is the recommended CI mode.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <map>

#include "cli/cmd_compare.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/exit_status.h"
#include "report/gbench_json.h"
#include "report/paired.h"
#include "report/stats.h"
#include "suites/harness/exec_runner.h"
#include "suites/harness/interrupt.h"

namespace perfkit::cli {

struct AbOptions {
  std::string old_program;
  std::string new_program;
  std::vector<std::string> suites;
  std::string filter;
  int rounds = 16;
  double min_time_s = 0.05;
  std::vector<std::string> thresholds;
  std::string metric = "real_time";
  double alpha = 0.05;
  std::string format = "table";
  std::vector<std::string> args;
};

namespace {

// One value per benchmark from one fresh process.
Result<std::map<std::string, double>> RunOnce(const harness::ExecOptions& exec,
                                              const std::string& metric) {
  auto json = harness::RunBenchmarkExecutable(exec);
  if (!json.ok()) return json.status();
  auto run = report::FromGbenchJson(*json, "the output of '" + exec.program + "'");
  if (!run.ok()) return run.status();
  std::map<std::string, double> out;
  for (const auto& b : run->benchmarks) {
    const auto values = report::MetricValues(b, metric);
    if (!values.empty()) out[b.name] = report::Median(values);
  }
  return out;
}

Result<bool> IsPerfkit(const std::string& program) {
  auto version = harness::ProgramVersion(program);
  if (!version.ok()) return version.status();
  return version->rfind("perfkit ", 0) == 0;
}

}  // namespace

int RunAb(const AbOptions& o) {
  report::CompareOptions compare;
  compare.metric = o.metric;
  compare.alpha = o.alpha;
  if (Status s = ParseThresholds(o.thresholds, compare); !s.ok()) return Fail(kExitUsage, s.message());
  auto old_kind = IsPerfkit(o.old_program);
  if (!old_kind.ok()) return Fail(kExitFailure, old_kind.error());
  auto new_kind = IsPerfkit(o.new_program);
  if (!new_kind.ok()) return Fail(kExitFailure, new_kind.error());
  if (*old_kind != *new_kind) {
    return Fail(kExitUsage, "OLD and NEW must both be perfkit builds or both Google Benchmark executables");
  }
  harness::ExecOptions exec;
  exec.repetitions = 1;
  exec.min_time_s = o.min_time_s;
  exec.filter = o.filter;
  exec.perfkit_build = *old_kind;
  exec.suites = o.suites;
  exec.args = o.args;
  exec.quiet = true;

  std::map<std::string, report::PairedSamples> pairs;
  const bool tty = isatty(STDERR_FILENO);
  harness::InstallInterruptHandler();
  for (int round = 0; round < o.rounds; ++round) {
    // ABBA: the side that runs first alternates, so warm-up effects cancel.
    const bool old_first = round % 2 == 0;
    std::map<std::string, double> values[2];
    for (int k = 0; k < 2; ++k) {
      const bool is_old = (k == 0) == old_first;
      exec.program = is_old ? o.old_program : o.new_program;
      if (tty) fmt::print(stderr, "\r\033[Kround {}/{}: {}", round + 1, o.rounds, is_old ? "old" : "new");
      auto v = RunOnce(exec, o.metric);
      if (!v.ok()) {
        harness::RemoveInterruptHandler();
        if (tty) fmt::print(stderr, "\n");
        return Fail(harness::InterruptRequested() ? kExitInterrupted : kExitFailure, v.error());
      }
      values[is_old ? 0 : 1] = std::move(*v);
    }
    for (const auto& [name, old_value] : values[0]) {
      auto it = values[1].find(name);
      if (it == values[1].end()) continue;
      auto& p = pairs[name];
      p.name = name;
      p.old_values.push_back(old_value);
      p.new_values.push_back(it->second);
    }
  }
  harness::RemoveInterruptHandler();
  if (tty) fmt::print(stderr, "\r\033[K");
  if (pairs.empty()) return Fail(kExitFailure, "OLD and NEW have no benchmark in common");
  std::vector<report::PairedSamples> samples;
  for (auto& [name, p] : pairs) samples.push_back(std::move(p));
  const report::Comparison c = report::ComparePaired(samples, compare);
  PrintComparison(c, o.format);
  return GateExitCode(c);
}

Runner AddAb(CLI::App& app) {
  auto opts = std::make_shared<AbOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ab", "Interleaved A/B of two builds in fresh processes (ABBA rounds), gated on paired "
            "sign tests; same exit codes as compare");
  cmd->add_option("old", opts->old_program, "Old perfkit build or Google Benchmark executable")
      ->required();
  cmd->add_option("new", opts->new_program, "New build, same kind as OLD")->required();
  cmd->add_option("--suite", opts->suites, "Suite, for perfkit builds (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--filter", opts->filter, "Only benchmarks matching this regex");
  cmd->add_option("--rounds", opts->rounds, "Rounds; each runs OLD and NEW once (default 16)")
      ->check(CLI::Range(2, 10000));
  cmd->add_option("--min-time", opts->min_time_s, "Seconds per benchmark per process")
      ->check(CLI::Range(0.0001, 60.0));
  cmd->add_option("--threshold", opts->thresholds, "As for compare (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--metric", opts->metric, "real_time (default), cpu_time or a counter");
  cmd->add_option("--alpha", opts->alpha, "False discovery rate")->check(CLI::Range(0.0001, 0.5));
  cmd->add_option("--format", opts->format, "table, markdown or json")
      ->check(CLI::IsMember({"table", "markdown", "json"}));
  cmd->add_option("args", opts->args, "Extra arguments for Google Benchmark executables (after --)");
  return [opts] { return RunAb(*opts); };
}

}  // namespace perfkit::cli
