#include "suites/profiler/sampler.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "suites/profiler/event.h"
#include "suites/profiler/unwinder.h"

namespace perfkit::profiler {
namespace {

int PerfEventOpen(perf_event_attr* attr, pid_t pid, int cpu) {
  return static_cast<int>(syscall(__NR_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

int ParanoidLevel() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  int level = 2;
  in >> level;
  return level;
}

struct Ring {
  int fd = -1;
  void* base = nullptr;
  size_t mapped = 0;
  size_t data_size = 0;
};

class Session {
 public:
  ~Session() {
    for (Ring& r : rings_) {
      if (r.base != nullptr) munmap(r.base, r.mapped);
      if (r.fd >= 0) close(r.fd);
    }
  }

  // `attach`: the process is already running, so sampling starts now rather
  // than at its next exec.
  Status Open(pid_t pid, const SamplerOptions& options, RawProfile* out, bool attach = false);
  std::vector<pollfd> PollSet() const {
    std::vector<pollfd> fds;
    for (const Ring& r : rings_) fds.push_back({r.fd, POLLIN, 0});
    return fds;
  }
  void DrainAll(RawProfile* out) {
    for (Ring& r : rings_) Drain(r, out);
  }

 private:
  Status OpenAll(perf_event_attr attr, pid_t pid);
  void Drain(Ring& r, RawProfile* out);
  void Parse(const uint8_t* rec, size_t size, RawProfile* out);
  void ReadUserStack(const uint8_t* p, const uint8_t* end, RawProfile* out, RawSample* s);

  std::vector<Ring> rings_;
  size_t pages_ = 64;
  bool dwarf_ = false;
  Unwinder unwinder_;
};

Status Session::OpenAll(perf_event_attr attr, pid_t pid) {
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  for (long cpu = 0; cpu < cpus; ++cpu) {
    const int fd = PerfEventOpen(&attr, pid, static_cast<int>(cpu));
    if (fd < 0) {
      if (errno == ENODEV && cpu > 0) continue;  // an offline CPU
      const int err = errno;
      for (Ring& r : rings_) close(r.fd);
      rings_.clear();
      errno = err;
      return Status::Error(std::strerror(err));
    }
    rings_.push_back({fd, nullptr, 0, 0});
  }
  return OkStatus();
}

Status Session::Open(pid_t pid, const SamplerOptions& options, RawProfile* out, bool attach) {
  if ((options.buffer_pages & (options.buffer_pages - 1)) != 0) {
    return Status::Error("--buffer-pages must be a power of two");
  }
  auto resolved = ResolveEvent(options.event);
  if (!resolved.ok()) return resolved.status();
  dwarf_ = options.call_graph == CallGraph::kDwarf && UnwindRegisterMask() != 0;
  // A DWARF sample carries its stack copy: give the ring room for more of them.
  pages_ = options.buffer_pages ? options.buffer_pages : dwarf_ ? 256 : 64;
  perf_event_attr attr = *resolved;
  out->event = options.event;
  auto configure = [&](perf_event_attr& a) {
    a.size = sizeof a;
    if (options.period > 0) {
      a.sample_period = options.period;
      a.freq = 0;
    } else {
      a.sample_freq = options.frequency;
      a.freq = 1;
    }
    a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN;
    if (dwarf_) {
      // The call chain keeps only the kernel part; user frames come from
      // unwinding the copied stack.
      a.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
      a.sample_regs_user = UnwindRegisterMask();
      a.sample_stack_user = options.stack_bytes;
      a.exclude_callchain_user = 1;
    }
    a.disabled = attach ? 0 : 1;
    a.enable_on_exec = attach ? 0 : 1;
    a.inherit = 1;
    a.mmap = 1;
    a.mmap2 = 1;
    a.comm = 1;
    a.task = 1;
    a.watermark = 1;
    a.wakeup_watermark = static_cast<uint32_t>(pages_ * 4096 / 4);
  };
  configure(attr);
  // Permission and a missing PMU can each be the first refusal: retry
  // user-space only, or fall back to task-clock, in whichever order the
  // kernel refuses.
  Status s = OpenAll(attr, pid);
  for (int attempt = 0; attempt < 2 && !s.ok(); ++attempt) {
    const int err = errno;
    if ((err == EACCES || err == EPERM) && !attr.exclude_kernel) {
      attr.exclude_kernel = 1;  // what perf_event_paranoid 2 still allows
      attr.exclude_hv = 1;
      attr.exclude_callchain_kernel = 1;
    } else if ((err == ENOENT || err == ENODEV || err == EOPNOTSUPP || err == ENXIO) &&
               out->fallback_reason.empty()) {
      out->fallback_reason = options.event + " cannot be opened here (" + std::strerror(err) +
                             (err == ENOENT ? ": no hardware PMU" : "") + "); sampling task-clock";
      out->event = "task-clock";
      const bool user_only = attr.exclude_kernel;
      attr = TaskClock();
      configure(attr);
      attr.exclude_kernel = user_only;
      attr.exclude_hv = user_only;
      attr.exclude_callchain_kernel = user_only;
    } else {
      break;
    }
    s = OpenAll(attr, pid);
  }
  if (!s.ok()) {
    if (errno == EACCES || errno == EPERM) {
      return Status::Error("perf_event_open: " + s.message() + "; kernel.perf_event_paranoid is " +
                           std::to_string(ParanoidLevel()) +
                           ": run `sudo sysctl kernel.perf_event_paranoid=2` (or lower) to allow "
                           "user-space profiling");
    }
    return Status::Error("perf_event_open (" + out->event + "): " + s.message());
  }
  for (Ring& r : rings_) {
    r.mapped = (pages_ + 1) * 4096;
    r.base = mmap(nullptr, r.mapped, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
    if (r.base == MAP_FAILED) {
      r.base = nullptr;
      return Status::Error(std::string("mmap of the perf ring buffer: ") + std::strerror(errno));
    }
    r.data_size = pages_ * 4096;
  }
  return OkStatus();
}

void Session::Drain(Ring& r, RawProfile* out) {
  auto* meta = static_cast<perf_event_mmap_page*>(r.base);
  const uint8_t* data = static_cast<const uint8_t*>(r.base) + 4096;
  const uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = meta->data_tail;
  std::vector<uint8_t> record;
  while (tail < head) {
    auto copy = [&](uint64_t from, size_t n, uint8_t* to) {
      for (size_t i = 0; i < n; ++i) to[i] = data[(from + i) % r.data_size];
    };
    perf_event_header h;
    copy(tail, sizeof h, reinterpret_cast<uint8_t*>(&h));
    if (h.size < sizeof h) break;
    record.resize(h.size);
    copy(tail, h.size, record.data());
    Parse(record.data(), record.size(), out);
    tail += h.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

template <typename T>
T Read(const uint8_t*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

void Session::Parse(const uint8_t* rec, size_t size, RawProfile* out) {
  perf_event_header h;
  std::memcpy(&h, rec, sizeof h);
  const uint8_t* p = rec + sizeof h;
  const uint8_t* end = rec + size;
  switch (h.type) {
    case PERF_RECORD_SAMPLE: {
      RawSample s;
      Read<uint64_t>(p);  // ip: the call chain repeats it
      s.pid = Read<uint32_t>(p);
      s.tid = Read<uint32_t>(p);
      s.period = Read<uint64_t>(p);
      const uint64_t n = Read<uint64_t>(p);
      if (n > static_cast<uint64_t>(end - p) / 8) break;  // a malformed record
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t ip = Read<uint64_t>(p);
        if (ip >= static_cast<uint64_t>(PERF_CONTEXT_MAX)) {
          if (ip == static_cast<uint64_t>(PERF_CONTEXT_KERNEL)) s.has_kernel_frames = true;
          continue;  // a context marker
        }
        s.ips.push_back(ip);
      }
      if (dwarf_) ReadUserStack(p, end, out, &s);
      out->samples.push_back(std::move(s));
      break;
    }
    case PERF_RECORD_MMAP2: {
      const uint32_t pid = Read<uint32_t>(p);
      Read<uint32_t>(p);
      Mapping m;
      m.start = Read<uint64_t>(p);
      m.length = Read<uint64_t>(p);
      m.pgoff = Read<uint64_t>(p);
      p += 4 + 4 + 8 + 8 + 4 + 4;  // maj, min, ino, ino_generation, prot, flags
      m.path = std::string(reinterpret_cast<const char*>(p),
                           strnlen(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p)));
      out->mappings[pid].push_back(std::move(m));
      break;
    }
    case PERF_RECORD_COMM: {
      const uint32_t pid = Read<uint32_t>(p);
      Read<uint32_t>(p);
      out->comms[pid] =
          std::string(reinterpret_cast<const char*>(p),
                      strnlen(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p)));
      break;
    }
    case PERF_RECORD_FORK: {
      const uint32_t pid = Read<uint32_t>(p);
      const uint32_t ppid = Read<uint32_t>(p);
      if (pid != ppid && !out->mappings.count(pid)) {
        out->mappings[pid] = out->mappings[ppid];  // a child starts with its parent's mappings
        if (out->comms.count(ppid)) out->comms[pid] = out->comms[ppid];
      }
      break;
    }
    case PERF_RECORD_LOST:
      Read<uint64_t>(p);
      out->lost += Read<uint64_t>(p);
      break;
    case PERF_RECORD_THROTTLE:
      ++out->throttled;
      break;
    default:
      break;
  }
}

// The registers and stack copy that follow the call chain in a DWARF-mode
// sample: unwound now, while the mappings are those of the moment.
void Session::ReadUserStack(const uint8_t* p, const uint8_t* end, RawProfile* out, RawSample* s) {
  const size_t nregs = __builtin_popcountll(UnwindRegisterMask());
  uint64_t regs[64];
  if (end - p < 8) return;
  const uint64_t abi = Read<uint64_t>(p);
  if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
    if (static_cast<size_t>(end - p) < 8 * nregs) return;
    std::memcpy(regs, p, 8 * nregs);
    p += 8 * nregs;
  }
  if (end - p < 8) return;
  const uint64_t size = Read<uint64_t>(p);
  const uint8_t* stack = p;
  if (size > static_cast<uint64_t>(end - p) || (size > 0 && end - p - size < 8)) return;
  uint64_t used = 0;
  if (size > 0) std::memcpy(&used, p + size, sizeof used);  // how much the kernel could copy
  if (abi == PERF_SAMPLE_REGS_ABI_NONE) return;             // a kernel thread: no user stack
  unwinder_.Unwind(s->pid, s->tid, out->mappings[s->pid], {regs, stack, std::min(used, size)},
                   &s->ips);
}

// The child blocks on `go` until the events exist, then execs; if exec fails
// it sends errno through `exec_error` (close-on-exec, so success is EOF).
pid_t StartStopped(const std::vector<std::string>& argv, const int go[2], const int exec_error[2]) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Only the parent may hold the write end of `go`, or EOF never comes.
  close(go[1]);
  close(exec_error[0]);
  const int go_fd = go[0];
  const int exec_error_fd = exec_error[1];
  char byte;
  if (read(go_fd, &byte, 1) != 1) _exit(127);  // setup failed: never run
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  const int err = errno;
  (void)!write(exec_error_fd, &err, sizeof err);
  _exit(127);
}

// Mappings made before sampling started are never reported by the kernel:
// read them from /proc/PID/maps.
void ReadProcMaps(pid_t pid, RawProfile* out) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string range, perms, offset, dev, inode, path;
    f >> range >> perms >> offset >> dev >> inode;
    std::getline(f >> std::ws, path);
    if (perms.size() < 3 || perms[2] != 'x') continue;
    Mapping m;
    const size_t dash = range.find('-');
    m.start = std::stoull(range.substr(0, dash), nullptr, 16);
    m.length = std::stoull(range.substr(dash + 1), nullptr, 16) - m.start;
    m.pgoff = std::stoull(offset, nullptr, 16);
    m.path = path;
    out->mappings[static_cast<uint32_t>(pid)].push_back(std::move(m));
  }
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (std::getline(comm, name)) out->comms[static_cast<uint32_t>(pid)] = name;
}

}  // namespace

double CpuSeconds(const rusage& usage) {
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

Status CheckStackBytes(uint64_t bytes) {
  if (bytes < 8 || bytes > 65528 || bytes % 8 != 0) {
    return Status::Error(
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
  Session session;
  if (Status s = session.Open(pid, options, &profile, /*attach=*/true); !s.ok()) return s;
  if (!profile.fallback_reason.empty() && options.note_fallback) {
    std::fprintf(stderr, "perfkit: %s\n", profile.fallback_reason.c_str());
  }
  std::vector<pollfd> fds = session.PollSet();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline && kill(pid, 0) == 0) {
    poll(fds.data(), fds.size(), 100);
    session.DrainAll(&profile);
  }
  session.DrainAll(&profile);
  return profile;
}

Result<CommandResult> ProfileCommand(const std::vector<std::string>& argv,
                                     const SamplerOptions& options) {
  if (argv.empty()) return Status::Error("no command to profile");
  int go[2], exec_error[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(exec_error, O_CLOEXEC) != 0) {
    return Status::Error(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t child = StartStopped(argv, go, exec_error);
  close(go[0]);
  close(exec_error[1]);
  if (child < 0) {
    close(go[1]);
    close(exec_error[0]);
    return Status::Error(std::string("fork: ") + std::strerror(errno));
  }
  CommandResult result;
  Session session;
  auto reap = [&] {
    int status = 0;
    waitpid(child, &status, 0);
    return status;
  };
  if (Status s = session.Open(child, options, &result.profile); !s.ok()) {
    close(go[1]);  // the child sees EOF and exits without running the command
    close(exec_error[0]);
    reap();
    return s;
  }
  const char byte = 1;
  (void)!write(go[1], &byte, 1);
  close(go[1]);
  int err = 0;
  const bool exec_failed = read(exec_error[0], &err, sizeof err) == sizeof err;
  close(exec_error[0]);
  if (exec_failed) {
    reap();
    return Status::Error("cannot run '" + argv[0] + "': " + std::strerror(err));
  }
  if (!result.profile.fallback_reason.empty() && options.note_fallback) {
    std::fprintf(stderr, "perfkit: %s\n", result.profile.fallback_reason.c_str());
  }
  std::vector<pollfd> fds = session.PollSet();
  for (;;) {
    poll(fds.data(), fds.size(), 100);
    session.DrainAll(&result.profile);
    int status = 0;
    rusage usage{};
    const pid_t done = wait4(child, &status, WNOHANG, &usage);
    if (done == child) {
      session.DrainAll(&result.profile);
      result.cpu_seconds = CpuSeconds(usage);
      result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
  }
  return result;
}

}  // namespace perfkit::profiler
