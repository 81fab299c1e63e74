// Who is running a run, precisely enough to tell later that it died: the
// pid with its start time (a pid alone may be reused), the boot it ran in
// and the host. A run left `running` by a killed process is then shown as
// abandoned rather than in progress.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace perfkit {

struct ProcessIdentity {
  int64_t pid = 0;
  std::string start_time;  // /proc/PID/stat field 22, clock ticks since boot
  std::string boot_id;     // /proc/sys/kernel/random/boot_id
  std::string hostname;
};

ProcessIdentity CurrentProcess();

// The fields of /proc/PID/stat from field 3 (the state) on, so field N is
// element N - 3; empty when the process is gone. The command name before
// them may hold spaces and parentheses, so they are split after its last ')'.
std::vector<std::string> ProcStatFields(int64_t pid);

enum class Liveness { kAlive, kDead, kUnknown };

// kUnknown for another host, or when nothing was recorded.
Liveness CheckLiveness(const ProcessIdentity& who);

}  // namespace perfkit
