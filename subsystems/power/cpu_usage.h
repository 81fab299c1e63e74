// CPU utilisation, the model's u: of the whole machine from /proc/stat, or
// of a process group perfkit started from /proc/PID/stat.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::power {

// The aggregate "cpu" line of /proc/stat (of $PERFKIT_SYSFS_ROOT/proc/stat
// where the fake tree has one), in clock ticks.
struct CpuTicks {
  uint64_t busy = 0;
  uint64_t total = 0;
};
Result<CpuTicks> ReadCpuTicks();

// Busy over total between two readings: 0 to 1 over all CPUs.
double Utilisation(const CpuTicks& before, const CpuTicks& after);

// CPU seconds used so far by the processes in a process group (the live
// ones, and the children their members waited for), read often.
class GroupCpu {
 public:
  explicit GroupCpu(pid_t pgid) : pgid_(pgid) {}
  double Seconds();

 private:
  pid_t pgid_;
  int calls_ = 0;
  std::vector<pid_t> members_;
};

int OnlineCpus();

// CPU seconds this process has used, all its threads.
double SelfCpuSeconds();

// The wall clock in Unix seconds, as power samples and meter logs are stamped.
double UnixSeconds();

}  // namespace perfkit::power
