// `perfkit power`'s use cases: the status of the sources and the model, a
// calibration stored per host, an imported profile, sampling into the
// history, the history itself, and a command run under a power budget.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "baselines/location.h"
#include "baselines/store.h"
#include "subsystems/base/status.h"
#include "subsystems/power/budget.h"
#include "subsystems/power/calibrate.h"
#include "subsystems/power/model.h"

namespace perfkit::app {

std::string HostFingerprint();

// The newest power profile of this host in the database (none when the
// database does not exist: nothing is created).
Result<std::optional<store::PowerProfile>> LoadHostPowerProfile(const store::StoreLocation& db);
Result<std::optional<store::PowerProfile>> LoadHostPowerProfile(store::Store& store);
power::PowerModel ModelOf(const store::PowerProfile& profile);

struct PowerStatus {
  std::string source;  // the energy source's name, or "none (why ...)"
  std::optional<double> measured_w;
  double u = 0;
  std::optional<double> bw_gbps;
  std::string bw_source;  // "resctrl MBM" or why there is none
  std::optional<store::PowerProfile> profile;
  std::optional<double> estimated_w;
};
Result<PowerStatus> ReadPowerStatus(const store::StoreLocation& db, double window_s = 0.5);
std::string PowerStatusJson(const PowerStatus& status);

struct PowerCalibrateRequest {
  store::StoreLocation db;
  bool quick = false;
  std::string reference;  // a meter's CSV log
  std::function<void(const std::string&)> progress;
  std::function<bool()> interrupted;  // asked to stop (SIGINT)
};
struct CalibrateOutcome {
  power::Calibration calibration;
  std::string source;
  std::string json;  // what --json prints, and the profile's provenance
};
// Refuses, naming the sources tried, without an energy source or a
// reference log; stores the fitted profile for this host.
Result<CalibrateOutcome> CalibratePower(const PowerCalibrateRequest& request);

// A profile from a JSON file (the shape `power calibrate --json` prints),
// stored for this host as not validated.
Result<store::PowerProfile> ImportPowerProfile(const store::StoreLocation& db,
                                               const std::string& file);

struct RecordRequest {
  store::StoreLocation db;
  double interval_s = 0.1;
  double duration_s = 0;              // 0: until interrupted
  std::function<bool()> interrupted;  // asked to stop (SIGINT)
};
struct RecordOutcome {
  size_t samples = 0;
  bool measured = false;
  double cpu_seconds = 0;  // what recording itself used
  double seconds = 0;
};
Result<RecordOutcome> RecordPower(const RecordRequest& request);

struct HistoryRequest {
  store::StoreLocation db;
  double last_s = 3600;
  std::string plot;  // a PNG to write, or empty
};
struct HistoryOutcome {
  std::vector<store::PowerSampleRow> samples;
  std::string plot_note;  // why no plot, when one was asked for and none made
};
Result<HistoryOutcome> PowerHistory(const HistoryRequest& request);

struct BudgetRequest {
  store::StoreLocation db;
  double budget_w = 0;
  std::vector<std::string> argv;
  bool allow_cgroup = true;
  std::function<bool()> interrupted;  // asked to stop (SIGINT)
};
struct BudgetOutcome {
  power::BudgetRun free, limited;
  bool measured = false;
  std::string power_source;  // what the watts are
  power::PowerModel model;
};
// The command twice: unconstrained, then under the budget.
Result<BudgetOutcome> RunUnderBudget(const BudgetRequest& request);

// Parses "10s", "5m", "2h", "1d" or a bare number of seconds.
Result<double> ParseDuration(const std::string& text);

}  // namespace perfkit::app
