#include "subsystems/base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace perfkit {
namespace {

using Clock = std::chrono::steady_clock;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// 0 when `path` is a file we may execute, else the errno that says why not.
int ExecutableError(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (!S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0) return EACCES;
  return 0;
}

// Our environment with the overrides applied, as "KEY=VALUE" strings.
std::vector<std::string> Environment(
    const std::map<std::string, std::optional<std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    if (overrides.count(entry.substr(0, entry.find('='))) == 0) env.push_back(entry);
  }
  for (const auto& [key, value] : overrides) {
    if (value) env.push_back(key + "=" + *value);
  }
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

int PidfdSendSignal(int pidfd, int sig) {
#ifdef SYS_pidfd_send_signal
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
#else
  (void)pidfd;
  (void)sig;
  errno = ENOSYS;
  return -1;
#endif
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Everything the child needs, built before fork: after fork only
// async-signal-safe calls are made.
struct ChildPlan {
  std::vector<char*> argv, envp;
  const char* cwd = nullptr;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // -1: keep ours
  int go_fd = -1;                                     // hold: wait for a byte
  int error_fd = -1;                                  // errno of a failed exec
  const int* keep = nullptr;                          // descriptors kept across exec
  size_t keep_count = 0;
  bool new_process_group = false;
  int netns_fd = -1;
};

[[noreturn]] void RunChild(const ChildPlan& p) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  if (p.new_process_group) setpgid(0, 0);
  if (p.go_fd >= 0) {
    char byte;
    ssize_t n;
    while ((n = read(p.go_fd, &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) _exit(127);  // the parent gave up: never run
  }
  for (size_t i = 0; i < p.keep_count; ++i) fcntl(p.keep[i], F_SETFD, 0);  // clear CLOEXEC
  if (p.stdin_fd >= 0) dup2(p.stdin_fd, STDIN_FILENO);
  if (p.stdout_fd >= 0) dup2(p.stdout_fd, STDOUT_FILENO);
  if (p.stderr_fd >= 0) dup2(p.stderr_fd, STDERR_FILENO);
  if ((p.netns_fd >= 0 && setns(p.netns_fd, CLONE_NEWNET) != 0) ||
      (p.cwd != nullptr && chdir(p.cwd) != 0)) {
    const int err = errno;
    (void)!write(p.error_fd, &err, sizeof err);
    _exit(127);
  }
  execve(p.argv[0], p.argv.data(), p.envp.data());
  const int err = errno;
  (void)!write(p.error_fd, &err, sizeof err);
  _exit(127);
}

class SystemProcess : public Process {
 public:
  SystemProcess(pid_t pid, std::string program, int error_fd, int go_fd, int out_fd, int err_fd)
      : pid_(pid),
        program_(std::move(program)),
        pidfd_(PidfdOpen(pid)),
        error_fd_(error_fd),
        go_fd_(go_fd),
        out_fd_(out_fd),
        err_fd_(err_fd) {}

  ~SystemProcess() override {
    CloseFd(go_fd_);  // a held child exits without running
    if (!reaped_) {
      Signal(SIGKILL);
      Reap(0);
    }
    for (int* fd : {&error_fd_, &out_fd_, &err_fd_, &pidfd_}) CloseFd(*fd);
  }

  pid_t pid() const override { return pid_; }

  // Reads the exec-error pipe: EOF means the exec happened.
  Status AwaitExec() {
    int err = 0;
    ssize_t n;
    while ((n = read(error_fd_, &err, sizeof err)) < 0 && errno == EINTR) {
    }
    CloseFd(error_fd_);
    if (n != static_cast<ssize_t>(sizeof err)) return OkStatus();
    Reap(0);
    return Status::Error("cannot run '" + program_ + "': " + std::strerror(err));
  }

  Status Release() override {
    if (go_fd_ < 0) return OkStatus();
    const char byte = 1;
    ssize_t n;
    while ((n = write(go_fd_, &byte, 1)) < 0 && errno == EINTR) {
    }
    CloseFd(go_fd_);
    return AwaitExec();
  }

  Result<std::optional<ExitInfo>> Poll() override {
    Drain(0);
    if (!reaped_ && !Reap(WNOHANG)) return std::optional<ExitInfo>();
    DrainRemaining();
    return std::optional<ExitInfo>(info_);
  }

  Result<ExitInfo> Wait(double timeout_s) override {
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    while (!reaped_) {
      int wait_ms = pidfd_ >= 0 ? -1 : 20;  // without a pidfd, look every 20 ms
      if (timeout_s > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
          Signal(SIGKILL);
          Reap(0);
          info_.timed_out = true;
          break;
        }
        wait_ms = wait_ms < 0 ? static_cast<int>(left.count())
                              : std::min<int>(wait_ms, static_cast<int>(left.count()));
      }
      Drain(wait_ms);
      Reap(WNOHANG);
    }
    DrainRemaining();
    return info_;
  }

  void Signal(int sig) override {
    if (reaped_) return;
    if (pidfd_ >= 0 && PidfdSendSignal(pidfd_, sig) == 0) return;
    kill(pid_, sig);  // not reaped: the pid is still this child's
  }

 private:
  bool Reap(int flags) {
    int status = 0;
    rusage usage{};
    pid_t r;
    while ((r = wait4(pid_, &status, flags, &usage)) < 0 && errno == EINTR) {
    }
    if (r != pid_) return false;
    reaped_ = true;
    info_.usage = usage;
    if (WIFSIGNALED(status)) {
      info_.signal = WTERMSIG(status);
      info_.exit_code = 128 + info_.signal;
    } else {
      info_.exit_code = WEXITSTATUS(status);
    }
    return true;
  }

  // What the ended child left in the pipes.
  void DrainRemaining() {
    while (Drain(0)) {
    }
  }

  // Waits up to wait_ms (-1: until something happens) for output or the
  // child's end, and reads what is there. True if a pipe was read.
  bool Drain(int wait_ms) {
    pollfd fds[3];
    nfds_t n = 0;
    for (int fd : {out_fd_, err_fd_}) {
      if (fd >= 0) fds[n++] = {fd, POLLIN, 0};
    }
    const nfds_t pipes = n;
    if (pidfd_ >= 0 && !reaped_ && wait_ms != 0) fds[n++] = {pidfd_, POLLIN, 0};
    if (n == 0) {
      if (wait_ms > 0) poll(nullptr, 0, wait_ms);
      return false;
    }
    if (poll(fds, n, wait_ms) <= 0) return false;  // EINTR or nothing: the caller loops
    bool read_any = false;
    for (nfds_t i = 0; i < pipes; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const bool is_out = fds[i].fd == out_fd_;
      ReadSome(is_out ? out_fd_ : err_fd_, is_out ? info_.out : info_.err);
      read_any = true;
    }
    return read_any;
  }

  static void ReadSome(int& fd, std::string& into) {
    char buf[65536];
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got > 0) {
      into.append(buf, static_cast<size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      CloseFd(fd);  // EOF; a grandchild holding the pipe cannot stall us
    }
  }

  pid_t pid_;
  std::string program_;
  int pidfd_;
  int error_fd_, go_fd_, out_fd_, err_fd_;
  bool reaped_ = false;
  ExitInfo info_;
};

class SystemLauncherImpl : public Launcher {
 public:
  Result<std::unique_ptr<Process>> Spawn(const SpawnOptions& o) override {
    if (o.argv.empty()) return Status::InvalidArgument("no program to run");
    auto program = FindProgram(o.argv[0]);
    if (!program.ok()) return program.status();
    std::vector<std::string> args = o.argv;
    args[0] = *program;
    std::vector<std::string> env = Environment(o.env);
    Fds fds;
    if (Status s = fds.Open(o); !s.ok()) return s;
    ChildPlan plan{Pointers(args), Pointers(env), o.cwd.empty() ? nullptr : o.cwd.c_str()};
    plan.stdin_fd = fds.null_in;
    plan.stdout_fd = o.out == Redirect::kToStderr ? STDERR_FILENO : fds.child_out;
    plan.stderr_fd = fds.child_err;
    plan.go_fd = fds.go[0];
    plan.error_fd = fds.error[1];
    plan.keep = o.keep_fds.data();
    plan.keep_count = o.keep_fds.size();
    plan.new_process_group = o.new_process_group;
    plan.netns_fd = o.netns_fd;
    const pid_t pid = fork();
    if (pid < 0) return Status::Error(Errno("fork"));
    if (pid == 0) RunChild(plan);
    // Both sides set the group, so it exists whichever runs first.
    if (o.new_process_group) setpgid(pid, pid);
    fds.CloseChildEnds();  // else EOF never comes on the pipes the child writes
    auto process =
        std::make_unique<SystemProcess>(pid, o.argv[0], fds.Take(fds.error[0]), fds.Take(fds.go[1]),
                                        fds.Take(fds.parent_out), fds.Take(fds.parent_err));
    if (!o.hold) {
      if (Status s = process->AwaitExec(); !s.ok()) return s;
    }
    return std::unique_ptr<Process>(std::move(process));
  }

 private:
  // The pipes and files of one spawn; whatever the parent does not take is
  // closed when it goes out of scope.
  struct Fds {
    int error[2] = {-1, -1}, go[2] = {-1, -1};
    int null_in = -1, child_out = -1, child_err = -1, parent_out = -1, parent_err = -1;

    ~Fds() {
      for (int* fd : {&error[0], &error[1], &go[0], &go[1], &null_in, &child_out, &child_err,
                      &parent_out, &parent_err}) {
        CloseFd(*fd);
      }
    }
    void CloseChildEnds() {
      for (int* fd : {&error[1], &go[0], &null_in, &child_out, &child_err}) CloseFd(*fd);
    }
    int Take(int& fd) {
      const int taken = fd;
      fd = -1;
      return taken;
    }
    Status Open(const SpawnOptions& o) {
      if (pipe2(error, O_CLOEXEC) != 0) return Status::Error(Errno("pipe"));
      if (o.hold && pipe2(go, O_CLOEXEC) != 0) return Status::Error(Errno("pipe"));
      null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (Status s = Stream(o.out, &child_out, &parent_out); !s.ok()) return s;
      return Stream(o.err, &child_err, &parent_err);
    }
    Status Stream(Redirect r, int* child, int* parent) {
      if (r == Redirect::kNull) *child = open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (r != Redirect::kCapture) return OkStatus();
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) return Status::Error(Errno("pipe"));
      *parent = p[0];
      *child = p[1];
      return OkStatus();
    }
  };
};

}  // namespace

double ExitInfo::CpuSeconds() const {
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

std::string ExitInfo::Describe() const {
  if (timed_out) return "timed out and was killed";
  if (signal != 0) return "was killed by signal " + std::to_string(signal);
  return "exited with status " + std::to_string(exit_code);
}

Launcher& SystemLauncher() {
  static SystemLauncherImpl launcher;
  return launcher;
}

Result<ExitInfo> RunProcess(Launcher& launcher, const SpawnOptions& options, double timeout_s) {
  auto process = launcher.Spawn(options);
  if (!process.ok()) return process.status();
  return (*process)->Wait(timeout_s);
}

Result<std::string> FindProgram(const std::string& program) {
  if (program.empty()) return Status::InvalidArgument("empty program name");
  if (program.find('/') != std::string::npos) {
    const int err = ExecutableError(program);
    if (err == 0) return program;
    return Status::Error("cannot run '" + program + "': " + std::strerror(err));
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (ExecutableError(candidate) == 0) return candidate;
  }
  return Status::Error("cannot run '" + program + "': not found in PATH");
}

}  // namespace perfkit
