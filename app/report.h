// `perfkit report` as a use case: resolve the runs, judge them through the
// gate when two are compared, gather history and stored profiles, then
// write the report directory (report_files.h).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/gate.h"
#include "baselines/location.h"
#include "subsystems/base/status.h"
#include "subsystems/base/subprocess.h"

namespace perfkit::app {

struct ReportRequest {
  std::string run = "latest";
  std::string baseline;                                        // compare `run` with this baseline
  std::optional<std::pair<std::string, std::string>> compare;  // BASE, CANDIDATE
  std::vector<std::string> suites;                             // empty: all
  std::string history;                                         // glob
  int last = 10;
  std::string out_dir = "perfkit-report";
  std::string title;
  GateRequest gate;
  store::StoreLocation db;
};

struct ReportOutcome {
  std::string path;                   // report.md
  std::vector<std::string> warnings;  // from the gate
  std::string plot_note;              // why some plots are missing, if they are
  // The gate's code with --compare, else success.
  int exit_code = 0;
};

Result<ReportOutcome> MakeReport(const ReportRequest& request,
                                 Launcher& launcher = SystemLauncher());

}  // namespace perfkit::app
