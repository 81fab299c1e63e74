// Memory bandwidth where the machine measures it: resctrl's memory
// bandwidth monitoring (mbm_total_bytes of every L3 domain, under
// $PERFKIT_SYSFS_ROOT). Elsewhere perfkit knows bandwidth only for the loads
// it runs itself, and says so rather than guess.
#pragma once

#include <cstdint>

#include "subsystems/base/status.h"

namespace perfkit::power {

// Bytes counted so far over all L3 domains, or why there is no count.
Result<uint64_t> ReadMbmTotalBytes();

}  // namespace perfkit::power
