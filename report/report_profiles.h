// The profiles section of a markdown report: the flame graph of each
// profile stored with a run (an SVG beside report.md, with its top
// functions as a table), and a differential flame graph when both compared
// runs have one. Used by markdown_report.cc.
#pragma once

#include <map>
#include <string>

#include "report/markdown_report.h"

namespace perfkit::report {

// Adds the SVG files to plan.files.
void PlanProfiles(const ReportInput& input, ReportPlan& plan);

// Empty when no run has a profile.
std::string ProfilesSection(const ReportInput& input);

}  // namespace perfkit::report
