// Starting other programs, one careful way: argv and environment prepared
// before fork, exec failures reported as errors (not as exit status 127),
// EINTR retried, output captured without deadlock, a hard timeout, and a
// child signalled only while it is still ours (through a pidfd where the
// kernel has one). Callers take a Launcher so tests can fake processes.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit {

enum class Redirect {
  kInherit,   // the child writes where we write
  kNull,      // /dev/null
  kCapture,   // into ExitInfo::out / ExitInfo::err
  kToStderr,  // stdout only: onto our stderr (our stdout is for results)
};

struct SpawnOptions {
  // argv[0] is looked up in PATH when it has no '/'.
  std::vector<std::string> argv;
  // Set (a value) or removed (nullopt) on top of our own environment.
  std::map<std::string, std::optional<std::string>> env;
  std::string cwd;  // empty: ours
  Redirect out = Redirect::kInherit;
  Redirect err = Redirect::kInherit;
  // The child stops before exec until Release(): a profiler opens its
  // events on the pid first, so sampling starts at the exec.
  bool hold = false;
  // Descriptors the child keeps, at the same numbers (a ring's memfd, a
  // pipe end); every other one of ours is closed on exec.
  std::vector<int> keep_fds;
  // The child leads a process group of its own (its pid), so the whole
  // command, children included, can be signalled as one.
  bool new_process_group = false;
  // The child joins this network namespace (an fd of /proc/.../ns/net)
  // before exec; -1: ours.
  int netns_fd = -1;
};

struct ExitInfo {
  int exit_code = 0;  // as a shell reports it: 128 + signal when killed
  int signal = 0;     // the signal that ended it, or 0
  bool timed_out = false;
  rusage usage{};   // of the child and the children it waited for
  std::string out;  // with Redirect::kCapture
  std::string err;

  double CpuSeconds() const;
  bool Success() const { return exit_code == 0 && !timed_out; }
  // "exited with status 3", "was killed by signal 9", "timed out after 2 s".
  std::string Describe() const;
};

class Process {
 public:
  virtual ~Process() = default;  // a real process still running is killed and reaped
  virtual pid_t pid() const = 0;
  // For SpawnOptions::hold: lets the child exec; fails if the exec did.
  virtual Status Release() = 0;
  // Non-blocking: the exit, once the child has ended.
  virtual Result<std::optional<ExitInfo>> Poll() = 0;
  // Blocks until the child ends, reading captured output meanwhile. After
  // timeout_s (0: none) the child is killed and timed_out set.
  virtual Result<ExitInfo> Wait(double timeout_s = 0) = 0;
  // Sends a signal if the child has not been reaped (never a reused pid).
  virtual void Signal(int sig) = 0;
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  virtual Result<std::unique_ptr<Process>> Spawn(const SpawnOptions& options) = 0;
};

// fork/exec on this machine.
Launcher& SystemLauncher();

// Spawn, then Wait.
Result<ExitInfo> RunProcess(Launcher& launcher, const SpawnOptions& options, double timeout_s = 0);

// The executable `program` names: itself when it has a '/', else the first
// match in PATH.
Result<std::string> FindProgram(const std::string& program);

}  // namespace perfkit
