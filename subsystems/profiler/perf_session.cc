#include "subsystems/profiler/perf_session.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "subsystems/profiler/event.h"
#include "subsystems/profiler/proc_maps.h"
#include "subsystems/profiler/unwinder.h"

namespace perfkit::profiler {

std::optional<int> PerfEventParanoid(const Machine& machine) {
  const std::string text = machine.ReadLine("/proc/sys/kernel/perf_event_paranoid");
  char* end = nullptr;
  const long level = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') return std::nullopt;
  return static_cast<int>(level);
}

namespace {

int PerfEventOpen(const perf_event_attr* attr, pid_t pid, int cpu) {
  return static_cast<int>(syscall(__NR_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

int ParanoidLevel() { return PerfEventParanoid(ThisMachine()).value_or(2); }

// The kernel's own ceiling on samples per second (it lowers it when
// sampling interrupts take too long); 100000 when it cannot be read.
uint64_t KernelMaxSampleRate() {
  const std::string text = ThisMachine().ReadLine("/proc/sys/kernel/perf_event_max_sample_rate");
  char* end = nullptr;
  const unsigned long long rate = std::strtoull(text.c_str(), &end, 10);
  return text.empty() || *end != '\0' || rate == 0 ? 100000 : rate;
}

// perfkit's own ceiling, per thread: at 20000 a second with DWARF stacks
// a 0.1 s workload took 0.3 s; at 50000, 1.2 s and lost a third of its
// samples (Zen 3 VM, no PMU, task-clock).
constexpr uint64_t kMaxSampleRate = 20000;

bool IsClockEvent(const perf_event_attr& a) {
  return a.type == PERF_TYPE_SOFTWARE &&
         (a.config == PERF_COUNT_SW_TASK_CLOCK || a.config == PERF_COUNT_SW_CPU_CLOCK);
}

// The kernel caps a frequency at perf_event_max_sample_rate but takes any
// period: task-clock every 1 us asks a million samples a second, and the
// command then spends its time being sampled (-c 10000 made a 0.1 s
// workload take 2.2 s, -c 1000 5.7 s; Zen 3 VM, DWARF). A clock's period
// is a rate we know, so both are held to the same ceiling; other events'
// rates are not known beforehand and stay with the kernel's throttling.
void CapSampleRate(perf_event_attr& a, uint64_t max_rate, std::string* note) {
  if (a.freq) {
    if (a.sample_freq <= max_rate) return;
    *note = fmt::format("-F {} is above the {} samples per second allowed here; sampling at {}",
                        a.sample_freq, max_rate, max_rate);
    a.sample_freq = max_rate;
    return;
  }
  if (!IsClockEvent(a)) return;
  const uint64_t min_period = (1'000'000'000 + max_rate - 1) / max_rate;
  if (a.sample_period >= min_period) return;
  *note = fmt::format(
      "-c {} ns of {} is {} samples per second, above the {} allowed here; sampling every {} ns",
      a.sample_period, a.config == PERF_COUNT_SW_TASK_CLOCK ? "task-clock" : "cpu-clock",
      1'000'000'000 / a.sample_period, max_rate, min_period);
  a.sample_period = min_period;
}

struct AttrSettings {
  const SamplerOptions& options;
  bool dwarf;
  bool attach;
  size_t pages;
};

void Configure(perf_event_attr& a, const AttrSettings& c) {
  a.size = sizeof a;
  if (c.options.period > 0) {
    a.sample_period = c.options.period;
    a.freq = 0;
  } else {
    a.sample_freq = c.options.frequency;
    a.freq = 1;
  }
  a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD |
                  PERF_SAMPLE_CALLCHAIN;
  if (c.dwarf) {
    // The call chain keeps only the kernel part; user frames come from
    // unwinding the copied stack.
    a.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
    a.sample_regs_user = UnwindRegisterMask();
    a.sample_stack_user = c.options.stack_bytes;
    a.exclude_callchain_user = 1;
  }
  a.disabled = c.attach ? 0 : 1;
  a.enable_on_exec = c.attach ? 0 : 1;
  a.inherit = 1;
  a.mmap = 1;
  a.mmap2 = 1;
  a.comm = 1;
  a.task = 1;
  a.watermark = 1;
  a.wakeup_watermark = static_cast<uint32_t>(c.pages * 4096 / 4);
}

void UserSpaceOnly(perf_event_attr& a, bool on) {
  a.exclude_kernel = on;
  a.exclude_hv = on;
  a.exclude_callchain_kernel = on;
}

}  // namespace

PerfSession::~PerfSession() {
  for (Ring& r : rings_) {
    if (r.base != nullptr) munmap(r.base, r.mapped);
    if (r.fd >= 0) close(r.fd);
  }
  for (int fd : followers_) close(fd);
}

void PerfSession::CloseAll() {
  for (Ring& r : rings_) close(r.fd);
  rings_.clear();
  for (int fd : followers_) close(fd);
  followers_.clear();
}

// A sample at each switch-out of the profiled threads (the software
// context-switch event, period 1), and a record at each switch-in
// (context_switch, with the sample id for its time): the two give each
// wait's stack and length. Mappings and names come from the main event.
perf_event_attr SwitchEvent(const perf_event_attr& main) {
  perf_event_attr a = main;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_CONTEXT_SWITCHES;
  a.freq = 0;
  a.sample_period = 1;
  a.context_switch = 1;
  a.sample_id_all = 1;
  a.mmap = a.mmap2 = a.comm = a.task = 0;
  return a;
}

Status PerfSession::OpenAll(const perf_event_attr& attr, pid_t pid, bool off_cpu) {
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  for (long cpu = 0; cpu < cpus; ++cpu) {
    const int fd = PerfEventOpen(&attr, pid, static_cast<int>(cpu));
    if (fd < 0) {
      if (errno == ENODEV && cpu > 0) continue;  // an offline CPU
      const int err = errno;
      CloseAll();
      errno = err;
      return Status::Error(std::strerror(err));
    }
    rings_.push_back({fd, nullptr, 0, 0, static_cast<int>(cpu), off_cpu});
  }
  return OkStatus();
}

// The other threads of a running process: one event per thread and CPU,
// each writing into the ring already mapped for that CPU
// (PERF_EVENT_IOC_SET_OUTPUT, which wants the target mapped), so a hundred
// threads cost descriptors, not rings. A thread that ended meanwhile is
// skipped.
Status PerfSession::FollowThreads(const perf_event_attr& attr, const std::vector<pid_t>& tids,
                                  bool off_cpu) {
  for (pid_t tid : tids) {
    for (const Ring& r : rings_) {
      if (r.off_cpu != off_cpu) continue;
      const int fd = PerfEventOpen(&attr, tid, r.cpu);
      if (fd < 0) {
        if (errno == ESRCH) break;  // that thread has ended
        return Status::Error(std::string("perf_event_open (thread ") + std::to_string(tid) +
                             "): " + std::strerror(errno));
      }
      followers_.push_back(fd);
      if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r.fd) != 0) {
        return Status::Error(std::string("PERF_EVENT_IOC_SET_OUTPUT: ") + std::strerror(errno));
      }
    }
  }
  return OkStatus();
}

Status PerfSession::Open(pid_t pid, const SamplerOptions& options, RawProfile* out, bool attach) {
  if ((options.buffer_pages & (options.buffer_pages - 1)) != 0) {
    return Status::InvalidArgument("--buffer-pages must be a power of two");
  }
  auto resolved = ResolveEvent(options.event);
  if (!resolved.ok()) return resolved.status();
  const bool dwarf = options.call_graph == CallGraph::kDwarf && UnwindRegisterMask() != 0;
  parser_ = std::make_unique<RecordParser>(dwarf);
  // A DWARF sample carries its stack copy: give the ring room for more of them.
  pages_ = options.buffer_pages ? options.buffer_pages : dwarf ? 256 : 64;
  const AttrSettings settings{options, dwarf, attach, pages_};
  perf_event_attr attr = *resolved;
  out->event = options.event;
  Configure(attr, settings);
  const uint64_t max_rate = std::min(KernelMaxSampleRate(), kMaxSampleRate);
  CapSampleRate(attr, max_rate, &out->rate_note);
  // Permission and a missing PMU can each be the first refusal.
  Status s = OpenAll(attr, pid, false);
  for (int attempt = 0; attempt < 2 && !s.ok(); ++attempt) {
    const int err = errno;
    if ((err == EACCES || err == EPERM) && !attr.exclude_kernel) {
      UserSpaceOnly(attr, true);  // what perf_event_paranoid 2 still allows
    } else if ((err == ENOENT || err == ENODEV || err == EOPNOTSUPP || err == ENXIO) &&
               out->fallback_reason.empty()) {
      out->fallback_reason = options.event + " cannot be opened here (" + std::strerror(err) +
                             (err == ENOENT ? ": no hardware PMU" : "") + "); sampling task-clock";
      out->event = "task-clock";
      const bool user_only = attr.exclude_kernel;
      attr = TaskClock();
      Configure(attr, settings);
      out->rate_note.clear();
      CapSampleRate(attr, max_rate, &out->rate_note);
      UserSpaceOnly(attr, user_only);
    } else {
      break;
    }
    s = OpenAll(attr, pid, false);
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
  if (attr.exclude_kernel) {
    out->scope_note = "kernel.perf_event_paranoid is " + std::to_string(ParanoidLevel()) +
                      ": user space only, time in the kernel is not in this profile (root, or "
                      "`sudo sysctl kernel.perf_event_paranoid=1`, samples it)";
  }
  const perf_event_attr switches = SwitchEvent(attr);
  if (options.off_cpu) {
    if (Status o = OpenAll(switches, pid, /*off_cpu=*/true); !o.ok()) {
      return Status::Error("perf_event_open (context switches, for --off-cpu): " + o.message());
    }
  }
  if (Status m = MapRings(); !m.ok()) return m;
  if (!attach) return OkStatus();
  // A running process's other threads need events of their own; threads
  // started later inherit one.
  std::vector<pid_t> others;
  for (int tid : ProcessThreads(pid)) {
    if (tid != pid) others.push_back(tid);
  }
  if (Status f = FollowThreads(attr, others, false); !f.ok()) return f;
  return options.off_cpu ? FollowThreads(switches, others, true) : OkStatus();
}

Status PerfSession::MapRings() {
  for (Ring& r : rings_) {
    r.mapped = (pages_ + 1) * 4096;
    r.base = mmap(nullptr, r.mapped, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
    if (r.base == MAP_FAILED) {
      r.base = nullptr;
      return Status::Error(std::string("mmap of the perf ring buffer: ") + std::strerror(errno));
    }
    r.data_size = pages_ * 4096;
    poll_set_.push_back({r.fd, POLLIN, 0});
  }
  return OkStatus();
}

void PerfSession::PollAndDrain(int timeout_ms, RawProfile* out) {
  poll(poll_set_.data(), poll_set_.size(), timeout_ms);
  DrainAll(out);
}

void PerfSession::DrainAll(RawProfile* out) {
  for (Ring& r : rings_) Drain(r, out);
}

void PerfSession::Drain(Ring& r, RawProfile* out) {
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
    parser_->Parse(record.data(), record.size(), out, r.off_cpu);
    tail += h.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

}  // namespace perfkit::profiler
