// The executable mappings, command name and thread names of a running
// process from /proc/PID (read live: a process's state, not the machine's):
// the kernel reports only what happens after sampling starts.
#pragma once

#include <vector>

#include "subsystems/profiler/profile.h"

namespace perfkit::profiler {

void ReadProcMaps(int pid, RawProfile* out);
// The threads /proc/PID/task lists now, sorted; none for a process gone.
std::vector<int> ProcessThreads(int pid);

}  // namespace perfkit::profiler
