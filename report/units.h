// Human formatting of times, rates and sizes.
#pragma once

#include <cstdint>
#include <string>

#include "subsystems/base/bytes.h"

namespace perfkit::report {

std::string FormatDuration(double ns);     // "12.30 ns", "4.56 us"
std::string FormatThroughput(double bps);  // "23.40 GB/s"
using perfkit::FormatBytes;                // "32 KiB"
// A metric value: durations for real_time/cpu_time, rates for *_per_second,
// plain numbers otherwise.
std::string FormatMetric(const std::string& metric, double value);

// The one convention for a change, shared by compare, ab and report: the
// candidate's value against the base's, signed in the metric's own
// direction, and whether that is better: a time 1.25x the base's is
// "+25.0% worse", 0.8x is "-20.0% better"; "+0.0%" when it rounds to none.
std::string FormatChange(double ratio, bool higher_is_better);
// The line above a table that says how to read its change column.
std::string ChangeLegend(const std::string& metric, bool higher_is_better);

}  // namespace perfkit::report
