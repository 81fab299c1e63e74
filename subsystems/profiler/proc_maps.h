// The executable mappings and command name of a running process from
// /proc/PID: the kernel reports only mappings made after sampling starts.
#pragma once

#include "subsystems/profiler/profile.h"

namespace perfkit::profiler {

void ReadProcMaps(int pid, RawProfile* out);

}  // namespace perfkit::profiler
