#include "subsystems/profiler/sampler.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "subsystems/profiler/perf_session.h"
#include "subsystems/profiler/proc_maps.h"

namespace perfkit::profiler {
namespace {

void NoteFallback(const RawProfile& profile, const SamplerOptions& options) {
  if (!profile.fallback_reason.empty() && options.note_fallback) {
    std::fprintf(stderr, "perfkit: %s\n", profile.fallback_reason.c_str());
  }
  if (!profile.rate_note.empty()) std::fprintf(stderr, "perfkit: %s\n", profile.rate_note.c_str());
  if (!profile.scope_note.empty()) {
    std::fprintf(stderr, "perfkit: %s\n", profile.scope_note.c_str());
  }
}

}  // namespace

Status CheckStackBytes(uint64_t bytes) {
  if (bytes < 8 || bytes > 65528 || bytes % 8 != 0) {
    return Status::InvalidArgument(
        "the DWARF stack size must be a multiple of 8 from 8 to 65528 bytes, not " +
        std::to_string(bytes));
  }
  return OkStatus();
}

Result<RawProfile> ProfilePid(int pid, double seconds, const SamplerOptions& options) {
  if (pid <= 0 || kill(pid, 0) != 0) {
    return Status::Error("no process " + std::to_string(pid) +
                         (errno == EPERM ? " that this user may profile" : ""));
  }
  RawProfile profile;
  ReadProcMaps(pid, &profile);
  PerfSession session;
  if (Status s = session.Open(pid, options, &profile, /*attach=*/true); !s.ok()) return s;
  NoteFallback(profile, options);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline && kill(pid, 0) == 0) {
    session.PollAndDrain(100, &profile);
  }
  session.DrainAll(&profile);
  return profile;
}

Result<CommandResult> ProfileCommand(const std::vector<std::string>& argv,
                                     const SamplerOptions& options, Launcher& launcher,
                                     const std::map<std::string, std::optional<std::string>>& env) {
  if (argv.empty()) return Status::InvalidArgument("no command to profile");
  SpawnOptions spawn;
  spawn.argv = argv;
  spawn.env = env;
  spawn.hold = true;  // the events must exist before the exec they enable on
  auto child = launcher.Spawn(spawn);
  if (!child.ok()) return child.status();
  CommandResult result;
  PerfSession session;
  // On failure the held child is dropped: it exits without running.
  if (Status s = session.Open((*child)->pid(), options, &result.profile, /*attach=*/false);
      !s.ok()) {
    return s;
  }
  if (Status s = (*child)->Release(); !s.ok()) return s;
  NoteFallback(result.profile, options);
  for (;;) {
    session.PollAndDrain(100, &result.profile);
    auto done = (*child)->Poll();
    if (!done.ok()) return done.status();
    if (done->has_value()) {
      session.DrainAll(&result.profile);
      result.cpu_seconds = (*done)->CpuSeconds();
      result.exit_status = (*done)->exit_code;
      return result;
    }
  }
}

}  // namespace perfkit::profiler
