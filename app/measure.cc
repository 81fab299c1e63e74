#include "app/measure.h"

#include <fmt/format.h>

#include "app/database.h"
#include "app/glibc_tunables.h"
#include "app/power.h"
#include "app/run_record.h"
#include "app/tune.h"
#include "report/gbench_json.h"
#include "report/stats.h"
#include "subsystems/base/subprocess.h"
#include "suites/harness/exec_runner.h"
#include "suites/harness/interrupt.h"

namespace perfkit::app {
namespace {

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

}  // namespace

Result<Measurement> PrepareMeasurement(const BenchRequest& request) {
  ReexecuteForGlibc(request.run.suites);
  harness::RunOptions run = request.run;
  std::unique_ptr<store::Store> store;
  // Dispatch follows this host's tuning (perfkit tune), and without an
  // energy source energy is estimated from this host's power profile, both
  // read from the store the run goes into (opened once; one that does not
  // exist yet has neither, and is created only once the run can start).
  if (request.db.MayHoldRuns()) {
    auto opened = OpenStore(request.db);
    if (!opened.ok()) return opened.status();
    store = std::move(*opened);
    const Applied tuning = ApplyStoredTuning(*store);
    if (!tuning.warning.empty()) fmt::print(stderr, "perfkit: {}\n", tuning.warning);
  }
  if (run.energy && store) {
    auto profile = LoadHostPowerProfile(*store);
    if (!profile.ok()) return profile.status();
    if (*profile) {
      run.energy_model = ModelOf(**profile);
      run.energy_model_validated = (*profile)->validated;
    }
  }
  auto selection = harness::Select(run);
  if (!selection.ok()) return selection.status();
  if (!store) {
    auto opened = OpenStore(request.db);
    if (!opened.ok()) return opened.status();
    store = std::move(*opened);
  }
  return Measurement{std::move(*selection), std::move(store)};
}

Result<MeasuredRun> MeasureIntoStore(store::Store& store, const harness::Selection& selection,
                                     const BenchRequest& request,
                                     const harness::NextRound& next_round,
                                     const harness::SampleSink& observe) {
  MeasuredRun m;
  m.run = NewRunRecord(request.tags, "perfkit");
  // Declared up front: the stored run keeps suite order, and an interrupted
  // one shows what never ran.
  for (const auto& b : selection.benchmarks) {
    BenchmarkResult declared;
    declared.name = b.name;
    declared.suite = b.suite;
    declared.role = b.role;
    m.run.benchmarks.push_back(std::move(declared));
  }
  if (Status s = store.BeginRun(m.run); !s.ok()) return s;
  Status write_error;
  harness::InstallInterruptHandler();
  const auto on_sample = [&](const BenchmarkResult& r) {
    if (!write_error.ok()) return;
    write_error = store.AddResult(m.run.id, r);
    if (!write_error.ok()) harness::RequestInterrupt();  // stop measuring what we cannot keep
    Accumulate(m.run, r);
    if (observe) observe(r);
  };
  const bool finished = harness::Run(selection, request.run, on_sample, next_round);
  harness::RemoveInterruptHandler();
  harness::ClearInterrupt();
  m.interrupted = !finished;
  m.run.status = finished ? RunStatus::kComplete : RunStatus::kInterrupted;
  m.run.ended_at = NowIso8601();
  m.run.claims = CheckClaims(m.run, selection.claims);
  Status closed = store.SaveClaims(m.run.id, m.run.claims);
  if (closed.ok()) closed = store.FinishRun(m.run.id, m.run.status, m.run.ended_at);
  if (selection.energy && closed.ok()) {
    std::vector<store::PowerSampleRow> rows;
    for (const harness::EnergySample& e : selection.energy->samples()) {
      rows.push_back({e.unix_time, e.watts, selection.energy->measured(), e.u, "bench", m.run.id});
    }
    closed = store.SavePowerSamples(rows);
  }
  if (!write_error.ok()) return write_error;
  if (!closed.ok()) return closed;
  return m;
}

std::vector<ClaimResult> CheckClaims(const RunRecord& run,
                                     const std::vector<suites::Claim>& claims) {
  suites::Measured measured;
  for (const BenchmarkResult& b : run.benchmarks) {
    std::vector<double> t;
    for (const Sample& s : b.samples) t.push_back(s.real_time_ns);
    if (!b.error.empty()) {
      measured.errors[b.name] = b.error;
    } else if (!t.empty()) {
      measured.medians[b.name] = report::Median(t);
      std::map<std::string, std::vector<double>> counters;
      for (const Sample& s : b.samples) {
        for (const auto& [name, value] : s.counters) counters[name].push_back(value);
      }
      for (const auto& [name, values] : counters) {
        measured.counters[b.name][name] = report::Median(values);
      }
      measured.times[b.name] = std::move(t);
    }
  }
  std::vector<ClaimResult> out;
  std::map<std::string, int> seen;
  for (const suites::Claim& claim : claims) {
    auto r = claim(measured);
    if (!r) continue;
    // Two claims on one topic keep apart: the second id gets "-2".
    if (const int n = ++seen[r->id]; n > 1) r->id += "-" + std::to_string(n);
    out.push_back(std::move(*r));
  }
  return out;
}

Result<ExternalRun> BenchExternal(const BenchFlags& f, const std::string& program,
                                  const std::vector<std::string>& args) {
  if (!f.suites.empty() || f.counters || f.energy) {
    return Status::InvalidArgument(std::string(!f.suites.empty() ? "--suite"
                                               : f.counters      ? "--counters"
                                                                 : "--energy") +
                                   " cannot be used with --exec (it runs the executable's own "
                                   "benchmarks)");
  }
  auto tags = ParseTags(f.tags);
  if (!tags.ok()) return tags.status();
  const harness::MeasureDefaults defaults = harness::DefaultsFor(f.quick);
  const ExecRequest exec{program,
                         args,
                         f.repetitions.value_or(defaults.repetitions),
                         f.min_time_s.value_or(defaults.min_time_s),
                         f.filter,
                         !f.no_interleave,
                         std::move(*tags)};
  if (auto found = FindProgram(program); !found.ok()) return found.status();
  ExternalRun out{{}, ResolveStore(f.db)};
  auto store = OpenStore(out.db);
  if (!store.ok()) return store.status();
  auto run = MeasureExternal(**store, exec);
  if (!run.ok()) return run.status();
  out.run = std::move(*run);
  return out;
}

Result<RunRecord> MeasureExternal(store::Store& store, const ExecRequest& request) {
  harness::ExecOptions exec;
  exec.program = request.program;
  exec.args = request.args;
  exec.repetitions = request.repetitions;
  exec.min_time_s = request.min_time_s;
  exec.filter = request.filter;
  exec.interleave = request.interleave;
  harness::InstallInterruptHandler();
  auto json = harness::RunBenchmarkExecutable(exec);
  harness::RemoveInterruptHandler();
  if (!json.ok()) {
    if (harness::InterruptRequested()) return Status::Cancelled(json.error());
    return json.status();
  }
  auto parsed = report::FromGbenchJson(*json, "the output of '" + request.program + "'");
  if (!parsed.ok()) return parsed.status();
  RunRecord run = NewRunRecord(request.tags, "exec");
  run.benchmarks = std::move(parsed->benchmarks);
  run.host.benchmark_build_type = parsed->host.benchmark_build_type;
  run.raw_json = std::move(*json);
  run.status = RunStatus::kComplete;
  run.ended_at = NowIso8601();
  if (Status s = store.SaveRun(run); !s.ok()) return s;
  return run;
}

}  // namespace perfkit::app
