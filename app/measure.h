// Measuring into the store: perfkit's own suites, each repetition written as
// it finishes, or an external Google Benchmark executable stored whole.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/bench_request.h"
#include "baselines/store.h"
#include "results/result.h"
#include "subsystems/base/status.h"
#include "suites/harness/runner.h"

namespace perfkit::app {

// What measuring needs, made in an order that never creates a database for
// a request that cannot run: the re-execution some suites' peers need
// (glibc_tunables.h), the selection, then the store.
struct Measurement {
  harness::Selection selection;
  std::unique_ptr<store::Store> store;
};
Result<Measurement> PrepareMeasurement(const BenchRequest& request);

struct MeasuredRun {
  RunRecord run;
  bool interrupted = false;
};

// One run of the selected benchmarks. Ctrl-C stops after the benchmark in
// flight: the finished repetitions are kept and the run marked interrupted.
// `next_round` (harness::Run) picks what later rounds measure; `observe`
// sees every repetition after it is stored.
Result<MeasuredRun> MeasureIntoStore(store::Store& store, const harness::Selection& selection,
                                     const BenchRequest& request,
                                     const harness::NextRound& next_round = nullptr,
                                     const harness::SampleSink& observe = nullptr);

// The suites' claims checked against a run's medians (claims whose
// benchmarks the run left out give none).
std::vector<ClaimResult> CheckClaims(const RunRecord& run,
                                     const std::vector<suites::Claim>& claims);

// `bench --exec`: a Google Benchmark executable run with perfkit's
// repetitions, stored as one run.
struct ExecRequest {
  std::string program;
  std::vector<std::string> args;
  int repetitions = harness::kUsualDefaults.repetitions;
  double min_time_s = harness::kUsualDefaults.min_time_s;
  std::string filter;
  bool interleave = true;
  std::map<std::string, std::string> tags;
};
Result<RunRecord> MeasureExternal(store::Store& store, const ExecRequest& request);

// `bench --exec PROGRAM [-- ARGS]` from bench's flags: refuses the flags
// that only mean something for perfkit's suites and a program that cannot
// run (before any database is created), then measures into the store.
struct ExternalRun {
  RunRecord run;
  store::StoreLocation db;
};
Result<ExternalRun> BenchExternal(const BenchFlags& flags, const std::string& program,
                                  const std::vector<std::string>& args);

}  // namespace perfkit::app
