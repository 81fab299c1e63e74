#include "subsystems/profiler/records.h"

#include <linux/perf_event.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace perfkit::profiler {
namespace {

template <typename T>
T Read(const uint8_t*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

std::string ReadString(const uint8_t* p, const uint8_t* end) {
  return std::string(reinterpret_cast<const char*>(p),
                     strnlen(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p)));
}

}  // namespace

void RecordParser::Parse(const uint8_t* rec, size_t size, RawProfile* out, bool off_cpu) {
  perf_event_header h;
  if (size < sizeof h) return;
  std::memcpy(&h, rec, sizeof h);
  const uint8_t* p = rec + sizeof h;
  const uint8_t* end = rec + size;
  switch (h.type) {
    case PERF_RECORD_SAMPLE:
      ParseSample(p, end, out, off_cpu);
      break;
    case PERF_RECORD_SWITCH: {
      // Its body is the sample id: pid, tid and time (TID | TIME).
      if ((h.misc & PERF_RECORD_MISC_SWITCH_OUT) != 0 || end - p < 16) break;
      Read<uint32_t>(p);
      const uint32_t tid = Read<uint32_t>(p);
      out->switch_ins[tid].push_back(Read<uint64_t>(p));
      break;
    }
    case PERF_RECORD_MMAP2: {
      if (end - p < 56) break;
      const uint32_t pid = Read<uint32_t>(p);
      Read<uint32_t>(p);
      Mapping m;
      m.start = Read<uint64_t>(p);
      m.length = Read<uint64_t>(p);
      m.pgoff = Read<uint64_t>(p);
      p += 4 + 4 + 8 + 8 + 4 + 4;  // maj, min, ino, ino_generation, prot, flags
      m.path = ReadString(p, end);
      out->mappings[pid].push_back(std::move(m));
      break;
    }
    case PERF_RECORD_COMM: {
      if (end - p < 8) break;
      const uint32_t pid = Read<uint32_t>(p);
      const uint32_t tid = Read<uint32_t>(p);
      std::string name = ReadString(p, end);
      // The process is named by its main thread (an exec renames it); other
      // threads' names (a pool's "worker") name only themselves.
      if (tid == pid) out->comms[pid] = name;
      out->thread_names[tid] = std::move(name);
      break;
    }
    case PERF_RECORD_FORK: {
      if (end - p < 16) break;
      const uint32_t pid = Read<uint32_t>(p);
      const uint32_t ppid = Read<uint32_t>(p);
      const uint32_t tid = Read<uint32_t>(p);
      const uint32_t ptid = Read<uint32_t>(p);
      if (pid != ppid && !out->mappings.count(pid)) {
        out->mappings[pid] = out->mappings[ppid];  // a child starts with its parent's mappings
        if (out->comms.count(ppid)) out->comms[pid] = out->comms[ppid];
      }
      // A new thread, or a new process's first one, starts with the name of
      // the thread that made it.
      if (auto parent = out->thread_names.find(ptid);
          parent != out->thread_names.end() && !out->thread_names.count(tid)) {
        out->thread_names[tid] = parent->second;
      }
      break;
    }
    case PERF_RECORD_LOST:
      if (end - p < 16) break;
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

// IP, TID, TIME, PERIOD and CALLCHAIN, as PerfSession asks for them.
void RecordParser::ParseSample(const uint8_t* p, const uint8_t* end, RawProfile* out,
                               bool off_cpu) {
  if (end - p < 40) return;
  RawSample s;
  s.off_cpu = off_cpu;
  Read<uint64_t>(p);  // ip: the call chain repeats it
  s.pid = Read<uint32_t>(p);
  s.tid = Read<uint32_t>(p);
  s.time_ns = Read<uint64_t>(p);
  s.period = Read<uint64_t>(p);
  const uint64_t n = Read<uint64_t>(p);
  if (n > static_cast<uint64_t>(end - p) / 8) return;  // a malformed record
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
}

// The registers and stack copy that follow the call chain in a DWARF-mode
// sample: unwound now, while the mappings are those of the moment.
void RecordParser::ReadUserStack(const uint8_t* p, const uint8_t* end, RawProfile* out,
                                 RawSample* s) {
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

}  // namespace perfkit::profiler
