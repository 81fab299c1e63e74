#include "app/ab.h"

#include <chrono>
#include <cstring>
#include <map>

#include "app/bench_request.h"
#include "report/gbench_json.h"
#include "report/stats.h"
#include "suites/harness/exec_runner.h"
#include "suites/harness/interrupt.h"

namespace perfkit::app {
namespace {

using Values = std::map<std::string, double>;

// How one side is run: a perfkit build's `bench`, or a Google Benchmark
// executable's own flags.
struct Side {
  bool perfkit = false;
  BenchRequest bench;  // for perfkit builds
  harness::ExecOptions exec;
};

Result<bool> IsPerfkit(const std::string& program, Launcher& launcher) {
  auto version = harness::ProgramVersion(program, launcher);
  if (!version.ok()) return version.status();
  return version->rfind("perfkit ", 0) == 0;
}

// One value per benchmark from one fresh process.
Result<Values> RunOnce(const Side& side, const std::string& program, const std::string& metric,
                       Launcher& launcher) {
  Result<std::string> json = std::string();
  if (side.perfkit) {
    json = harness::RunForJson(
        [&](const std::string& dir) {
          BenchRequest bench = side.bench;
          bench.db = store::StoreLocation(dir + "/perfkit.db");
          bench.json_out = dir + "/out.json";
          std::vector<std::string> argv = bench.ToArgv();
          argv.insert(argv.begin(), program);
          return argv;
        },
        /*quiet=*/true, launcher);
  } else {
    harness::ExecOptions exec = side.exec;
    exec.program = program;
    json = harness::RunBenchmarkExecutable(exec, launcher);
  }
  if (!json.ok()) return json.status();
  auto run = report::FromGbenchJson(*json, "the output of '" + program + "'");
  if (!run.ok()) return run.status();
  Values out;
  for (const auto& b : run->benchmarks) {
    const auto values = report::MetricValues(b, metric);
    if (!values.empty()) out[b.name] = report::Median(values);
  }
  return out;
}

Result<Side> MakeSide(const AbRequest& r, Launcher& launcher) {
  auto old_kind = IsPerfkit(r.old_program, launcher);
  if (!old_kind.ok()) return old_kind.status();
  auto new_kind = IsPerfkit(r.new_program, launcher);
  if (!new_kind.ok()) return new_kind.status();
  if (*old_kind != *new_kind) {
    return Status::InvalidArgument(
        "OLD and NEW must both be perfkit builds or both Google Benchmark executables");
  }
  Side side;
  side.perfkit = *old_kind;
  if (side.perfkit) {
    BenchFlags flags;
    flags.suites = r.suites;
    flags.filter = r.filter;
    flags.repetitions = 1;
    flags.min_time_s = r.min_time_s;
    auto bench = MakeBenchRequest(flags);
    if (!bench.ok()) return bench.status();
    side.bench = std::move(*bench);
  } else if (!r.suites.empty()) {
    return Status::InvalidArgument(
        "--suite is for perfkit builds, not Google Benchmark executables");
  }
  side.exec.repetitions = 1;
  side.exec.min_time_s = r.min_time_s;
  side.exec.filter = r.filter;
  side.exec.args = r.args;
  side.exec.quiet = true;
  return side;
}

// A regex that matches exactly these names (ECMAScript, as bench's --filter).
std::string ExactNames(const std::vector<std::string>& names) {
  std::string out = "^(";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += '|';
    for (char c : names[i]) {
      if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr) out += '\\';
      out += c;
    }
  }
  return out + ")$";
}

}  // namespace

Result<GateResult> RunAb(const AbRequest& r, const std::function<void(const AbStep&)>& on_step,
                         Launcher& launcher) {
  auto side = MakeSide(r, launcher);
  if (!side.ok()) return side.status();
  const SequentialPlan& plan = r.gate.plan;
  const int rounds = r.auto_rounds ? plan.max_repetitions : r.rounds;
  report::SequentialGate gate({r.gate.compare, /*paired=*/true, plan.first_block, rounds});
  std::map<std::string, report::PairedSamples> pairs;
  const auto start = std::chrono::steady_clock::now();
  bool out_of_time = false;
  AbStep step;
  step.rounds = rounds;
  harness::InstallInterruptHandler();
  for (int round = 0; round < rounds; ++round) {
    // Only what is undecided runs again (perfkit builds select by name; a
    // Google Benchmark executable runs all and the decided are ignored).
    Side this_round = *side;
    if (r.auto_rounds && round >= plan.first_block && side->perfkit) {
      this_round.bench.run.filter = ExactNames(gate.Undecided());
    }
    // ABBA: the side that runs first alternates, so warm-up effects cancel.
    const bool old_first = round % 2 == 0;
    Values values[2];
    for (int k = 0; k < 2; ++k) {
      const bool is_old = (k == 0) == old_first;
      step.round = round + 1;
      step.is_old = is_old;
      on_step(step);
      auto v = RunOnce(this_round, is_old ? r.old_program : r.new_program, r.gate.compare.metric,
                       launcher);
      if (!v.ok()) {
        harness::RemoveInterruptHandler();
        if (harness::InterruptRequested()) return Status::Cancelled(v.error());
        return v.status();
      }
      values[is_old ? 0 : 1] = std::move(*v);
    }
    for (const auto& [name, old_value] : values[0]) {
      auto it = values[1].find(name);
      if (it == values[1].end()) continue;
      if (r.auto_rounds) {
        gate.AddPair(name, old_value, it->second);
        continue;
      }
      auto& p = pairs[name];
      p.name = name;
      p.old_values.push_back(old_value);
      p.new_values.push_back(it->second);
    }
    if (!r.auto_rounds || round + 1 < plan.first_block) continue;
    gate.Look();
    step.decided = gate.decided();
    step.benchmarks = gate.size();
    if (gate.Undecided().empty()) break;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= plan.budget_s) {
      out_of_time = true;
      break;
    }
  }
  harness::RemoveInterruptHandler();
  if (r.auto_rounds) {
    if (gate.size() == 0) return Status::Error("OLD and NEW have no benchmark in common");
    gate.LastLook();
    GateResult out;
    out.comparison = gate.Result(BudgetSpent(plan, out_of_time));
    out.exit_code = GateExitCode(out.comparison, r.gate);
    return out;
  }
  std::vector<report::PairedSamples> samples;
  for (auto& [name, p] : pairs) samples.push_back(std::move(p));
  return JudgePaired(samples, r.gate);
}

}  // namespace perfkit::app
