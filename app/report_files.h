// Writing a report directory: data files, matplotlib plots (run as
// separate python3 processes) and report.md, staged in a hidden directory
// and moved into place with report.md last.
#pragma once

#include <string>

#include "report/markdown_report.h"
#include "subsystems/base/status.h"
#include "subsystems/base/subprocess.h"

namespace perfkit::app {

// `note` says which plots could not be made and why.
Status WriteReportFiles(const report::ReportInput& in, const std::string& out_dir,
                        Launcher& launcher, std::string* note);

}  // namespace perfkit::app
