// A comparison for people (a table, with colour on a terminal), for pull
// requests (markdown) and for machines (JSON).
#pragma once

#include <string>

#include "report/compare.h"

namespace perfkit::report {

std::string FormatComparisonText(const Comparison& c, bool color);
std::string FormatComparisonMarkdown(const Comparison& c);
std::string FormatComparisonJson(const Comparison& c);

}  // namespace perfkit::report
