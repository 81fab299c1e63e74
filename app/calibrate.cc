#include "app/calibrate.h"

#include "app/measure.h"
#include "app/run_record.h"
#include "report/paired.h"

namespace perfkit::app {

Result<Calibration> Calibrate(store::Store& store, const harness::Selection& selection,
                              const CalibrateRequest& request,
                              const std::function<void(int, int)>& on_run) {
  Calibration out;
  out.session = NewUuid().substr(0, 8);
  BenchRequest bench = request.bench;
  bench.tags["calibration"] = out.session;
  std::vector<RunRecord> runs;
  for (int i = 0; i < request.runs; ++i) {
    on_run(i + 1, request.runs);
    auto measured = MeasureIntoStore(store, selection, bench);
    if (!measured.ok()) return measured.status();
    if (measured->interrupted) return Status::Cancelled("interrupted: no noise floors saved");
    runs.push_back(std::move(measured->run));
  }
  const std::string& metric = request.gate.compare.metric;
  out.floors = report::NoiseFloors(runs, metric);
  out.host_fingerprint = runs.front().host.fingerprint;
  if (Status s = store.SaveNoiseFloors(out.host_fingerprint, metric, out.floors, request.runs,
                                       NowIso8601());
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace perfkit::app
