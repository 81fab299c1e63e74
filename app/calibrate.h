// A/A calibration: the same build measured several times into the store,
// and each benchmark's noise floor (the typical shift between runs) saved
// for this host, so the gate knows which thresholds it cannot trust.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "app/bench_request.h"
#include "app/gate.h"
#include "baselines/store.h"
#include "subsystems/base/status.h"
#include "suites/harness/runner.h"

namespace perfkit::app {

struct CalibrateRequest {
  BenchRequest bench;
  int runs = 5;
  GateRequest gate;  // the metric the floors are for
};

struct Calibration {
  std::map<std::string, double> floors;  // benchmark -> |log ratio|
  std::string host_fingerprint;
  std::string session;  // the runs are tagged calibration=SESSION
};

// `on_run(i, n)` is called before each run.
Result<Calibration> Calibrate(store::Store& store, const harness::Selection& selection,
                              const CalibrateRequest& request,
                              const std::function<void(int, int)>& on_run);

}  // namespace perfkit::app
