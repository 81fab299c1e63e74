// Sampling with perf_event_open: one event per CPU for the target and every
// thread and child it starts (inherit), each with its own ring buffer, read
// when poll says there is data. Records mappings and command names as the
// kernel reports them, and counts lost and throttled samples.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "suites/profiler/profile.h"

namespace perfkit::profiler {

struct SamplerOptions {
  std::string event = "cycles";
  uint64_t frequency = 999;  // samples per second per thread
  uint64_t period = 0;       // events per sample; overrides frequency
  size_t buffer_pages = 64;  // per CPU, a power of two
};

struct CommandResult {
  RawProfile profile;
  int exit_status = 0;  // the command's, as the shell reports it (128+signal when killed)
};

// Starts `argv` stopped, opens the events on it, then lets it exec and
// samples until it exits. If the events cannot be opened the command never
// runs (it exits at once; nothing hangs). Notes on stderr: a fallback from
// an event that cannot be opened here to task-clock.
Result<CommandResult> ProfileCommand(const std::vector<std::string>& argv,
                                     const SamplerOptions& options);

// Samples a running process (and threads it starts from now on) for
// `seconds`, or until it exits. Fails on a PID that does not exist.
Result<RawProfile> ProfilePid(int pid, double seconds, const SamplerOptions& options);

}  // namespace perfkit::profiler
