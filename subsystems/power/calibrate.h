// Calibration: a ladder of known loads (duty-cycled spinners on every CPU
// at several utilisations, crossed with a memory streamer at several
// duties, and idle), the energy of each step from the source or a
// reference meter's log, a non-negative least-squares fit, and a
// validation on workloads the fit never saw.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/power/energy_source.h"
#include "subsystems/power/loads.h"
#include "subsystems/power/model.h"

namespace perfkit::power {

// Held-out MAPE at or under this, against a measured source, is what
// public linear models reach on SPECpower-style data: a profile that
// meets it is "validated".
constexpr double kValidatedMapePct = 15;

struct CalibrationPlan {
  std::vector<LoadSpec> ladder;
  std::vector<LoadSpec> held_out;
  double warmup_s = 1;
  double step_s = 8;
};
// Quick: 6 ladder steps and 2 held-out loads of 4 s (about 45 s); full: 15
// and 4 of 8 s (about 3 minutes).
CalibrationPlan MakePlan(bool quick);

struct Calibration {
  std::vector<Observation> ladder, held_out;
  PowerModel model;
  Validation validation;
  bool validated = false;
};

struct CalibrationIo {
  EnergySource* source = nullptr;  // or null with `reference`
  std::string reference;           // a meter's CSV log, read after the loads
  std::function<void(const std::string&)> progress;
  std::function<bool()> interrupted;  // asked to stop (SIGINT)
};

Result<Calibration> Calibrate(const CalibrationPlan& plan, const CalibrationIo& io);

// Runs one load for `seconds` after `warmup_s`, measuring u, bytes and
// (with a source) joules; the Unix times of the interval are kept so a
// reference log can be integrated over it afterwards.
struct Interval {
  Observation observation;
  double unix_from = 0, unix_to = 0;
};
Result<Interval> MeasureLoad(const LoadSpec& load, double warmup_s, double seconds,
                             EnergySource* source, const std::function<bool()>& interrupted);

}  // namespace perfkit::power
