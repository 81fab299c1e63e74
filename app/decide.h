// `perfkit bench --until-decided BASE`: measure against a stored run until
// every benchmark has a verdict. After a first block of repetitions, only
// the benchmarks still undecided get more, in interleaved rounds, and the
// sequential gate (report/sequential.h) looks after every round.
#pragma once

#include <functional>
#include <string>

#include "app/gate.h"
#include "app/measure.h"

namespace perfkit::app {

// BASE (a baseline, run id or uuid prefix, "latest", or a file), found
// before anything is measured or any database is created.
Result<RunRecord> LoadBase(const BenchRequest& bench, const std::string& base);

struct UntilDecidedRequest {
  RunRecord base;  // from LoadBase
  std::string base_ref;
  GateRequest gate;
  // After each look: rounds done, benchmarks decided, benchmarks gated.
  std::function<void(int, size_t, size_t)> on_look;
};

struct DecidedRun {
  MeasuredRun measured;
  GateResult gate;
};

// Refuses a BASE that shares no benchmark with the selection, or comes from
// an incomparable environment, before measuring.
Result<DecidedRun> MeasureUntilDecided(Measurement& measurement, const BenchRequest& bench,
                                       const UntilDecidedRequest& request);

}  // namespace perfkit::app
