// The claims of a markdown report: per suite a Value / Target / Status
// table (base and candidate side by side when comparing), and at the top
// the claims whose status changed between the two runs, those no longer
// met first. Used by markdown_report.cc.
#pragma once

#include <string>

#include "report/markdown_report.h"

namespace perfkit::report {

// Empty when the suite's runs hold no claim.
std::string ClaimsTable(const ReportInput& input, const std::string& suite);

// Empty unless comparing two runs and some claim changed status.
std::string ClaimChangesSection(const ReportInput& input);

}  // namespace perfkit::report
