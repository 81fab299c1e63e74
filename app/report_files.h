// Writing a report directory: data files, matplotlib plots (run as
// separate python3 processes) and report.md, all staged in a hidden sibling
// directory that then replaces the old report in one atomic exchange, so a
// report directory is always a whole report, the old or the new.
#pragma once

#include <string>

#include "report/markdown_report.h"
#include "subsystems/base/status.h"
#include "subsystems/base/subprocess.h"

namespace perfkit::app {

// Swaps a finished staging directory into out_dir's place (or renames it
// there when out_dir is new); the old report ends up at `staging`.
Status PublishDirectory(const std::string& staging, const std::string& out_dir);
using Publisher = Status (*)(const std::string& staging, const std::string& out_dir);

// `note` says which plots could not be made and why. Replaces out_dir only
// when it is new, empty, or a report perfkit wrote (it carries perfkit's
// list of its files, and holds nothing else); refuses anything else. Removes
// staging directories that killed reports left behind.
Status WriteReportFiles(const report::ReportInput& in, const std::string& out_dir,
                        Launcher& launcher, std::string* note,
                        Publisher publish = &PublishDirectory);

// Runs one plot script of report/plots with matplotlib: fails with the
// reason (no python3-matplotlib, or the script's own last error line).
Status RunPlotScript(Launcher& launcher, const std::string& script,
                     const std::vector<std::string>& args);

}  // namespace perfkit::app
