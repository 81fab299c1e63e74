// Paths under /sys and /dev as the power sources read them, all taken
// relative to the machine's root (subsystems/base/machine.h:
// $PERFKIT_SYSFS_ROOT, default "/"): tests, and machines whose counters
// live elsewhere, point it at another tree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::power {

// "/sys/class/powercap" under the root.
std::string UnderRoot(const std::string& absolute);

// A small text file, trailing newline removed.
Result<std::string> ReadText(const std::string& path);
// A file holding one unsigned decimal number; garbage is an error naming
// the file.
Result<uint64_t> ReadUnsigned(const std::string& path);
// A file holding one decimal number (a .scale file: "2.3283064365386962890625e-10").
Result<double> ReadDouble(const std::string& path);

// The names in a directory, sorted; empty when it cannot be read.
std::vector<std::string> ListDir(const std::string& path);

}  // namespace perfkit::power
