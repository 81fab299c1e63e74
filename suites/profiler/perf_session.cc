#include "suites/profiler/perf_session.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "suites/profiler/event.h"
#include "suites/profiler/unwinder.h"

namespace perfkit::profiler {
namespace {

int PerfEventOpen(const perf_event_attr* attr, pid_t pid, int cpu) {
  return static_cast<int>(syscall(__NR_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

int ParanoidLevel() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  int level = 2;
  in >> level;
  return level;
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
  a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN;
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
}

Status PerfSession::OpenAll(const perf_event_attr& attr, pid_t pid) {
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
  // Permission and a missing PMU can each be the first refusal.
  Status s = OpenAll(attr, pid);
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
      UserSpaceOnly(attr, user_only);
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
  return MapRings();
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
    parser_->Parse(record.data(), record.size(), out);
    tail += h.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

}  // namespace perfkit::profiler
