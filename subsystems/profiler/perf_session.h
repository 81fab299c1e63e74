// One sampling event per CPU on a process and everything it starts
// (inherit), each with its own ring buffer, read when poll says there is
// data. Falls back to user-space-only sampling or to task-clock, in
// whichever order the kernel refuses.
#pragma once

#include <linux/perf_event.h>
#include <poll.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "subsystems/base/machine.h"
#include "subsystems/base/status.h"
#include "subsystems/profiler/profile.h"
#include "subsystems/profiler/records.h"
#include "subsystems/profiler/sampler.h"

namespace perfkit::profiler {

// /proc/sys/kernel/perf_event_paranoid; none when it cannot be read.
std::optional<int> PerfEventParanoid(const Machine& machine);

class PerfSession {
 public:
  PerfSession() = default;
  ~PerfSession();
  PerfSession(const PerfSession&) = delete;
  PerfSession& operator=(const PerfSession&) = delete;

  // `attach`: the process is already running, so sampling starts now rather
  // than at its next exec. Sets out->event and, on a fallback, its reason.
  Status Open(pid_t pid, const SamplerOptions& options, RawProfile* out, bool attach);
  // Waits up to timeout_ms for data, then reads every ring.
  void PollAndDrain(int timeout_ms, RawProfile* out);
  void DrainAll(RawProfile* out);

 private:
  struct Ring {
    int fd = -1;
    void* base = nullptr;
    size_t mapped = 0;
    size_t data_size = 0;
    int cpu = -1;
    bool off_cpu = false;  // the switch-out event's ring
  };
  Status OpenAll(const perf_event_attr& attr, pid_t pid, bool off_cpu);
  Status FollowThreads(const perf_event_attr& attr, const std::vector<pid_t>& tids, bool off_cpu);
  void CloseAll();
  Status MapRings();
  void Drain(Ring& r, RawProfile* out);

  std::vector<Ring> rings_;
  std::vector<int> followers_;  // events that write into another's ring
  std::vector<pollfd> poll_set_;
  size_t pages_ = 64;
  std::unique_ptr<RecordParser> parser_;
};

}  // namespace perfkit::profiler
