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

}  // namespace perfkit::report
