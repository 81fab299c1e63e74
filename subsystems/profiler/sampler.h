// Sampling a command from its exec to its exit, or a running process for a
// while: the process control around a PerfSession (perf_session.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/base/subprocess.h"
#include "subsystems/profiler/profile.h"

namespace perfkit::profiler {

enum class CallGraph { kFramePointers, kDwarf };

struct SamplerOptions {
  std::string event = "cycles";
  uint64_t frequency = 999;  // samples per second per thread
  uint64_t period = 0;       // events per sample; overrides frequency
  // DWARF by default: Debian's libc and libstdc++ have no frame pointers.
  CallGraph call_graph = CallGraph::kDwarf;
  uint32_t stack_bytes = 8192;  // user stack copied per sample for DWARF unwinding
  size_t buffer_pages = 0;      // per CPU, a power of two; 0: 64, or 256 with DWARF
  bool note_fallback = true;    // say on stderr when the event falls back to task-clock
  // Also a sample at every switch-out, weighted by the time until the
  // thread runs again: where the wall time goes that the CPU never sees.
  bool off_cpu = false;
};

// Checks `dwarf,SIZE`'s size: what the kernel accepts.
Status CheckStackBytes(uint64_t bytes);

struct CommandResult {
  RawProfile profile;
  int exit_status = 0;     // the command's, as the shell reports it (128+signal when killed)
  double cpu_seconds = 0;  // user + system time of the command and the children it waited for
};

// Starts `argv` stopped, opens the events on it, then lets it exec and
// samples until it exits. If the events cannot be opened the command never
// runs (it exits at once; nothing hangs). Notes on stderr: a fallback from
// an event that cannot be opened here to task-clock.
// `env` is set on top of ours in the command's environment.
Result<CommandResult> ProfileCommand(
    const std::vector<std::string>& argv, const SamplerOptions& options,
    Launcher& launcher = SystemLauncher(),
    const std::map<std::string, std::optional<std::string>>& env = {});

// Samples a running process (and threads it starts from now on) for
// `seconds`, or until it exits. Fails on a PID that does not exist.
Result<RawProfile> ProfilePid(int pid, double seconds, const SamplerOptions& options);

}  // namespace perfkit::profiler
