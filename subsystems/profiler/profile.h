// What a sampling session records: raw samples with their call chains, the
// mappings and command names the kernel reported, and the counts of lost and
// throttled samples. Symbolization turns it into stacks of function names.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "subsystems/profiler/stack.h"

namespace perfkit::profiler {

struct RawSample {
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint64_t period = 1;
  uint64_t time_ns = 0;       // when it was taken (the perf clock)
  bool off_cpu = false;       // taken as the thread was switched out, not by the timer
  std::vector<uint64_t> ips;  // leaf first; context markers removed
  bool has_kernel_frames = false;
};

struct Mapping {
  uint64_t start = 0;
  uint64_t length = 0;
  uint64_t pgoff = 0;
  std::string path;
};

struct RawProfile {
  std::string event;            // the event actually sampled
  std::string fallback_reason;  // why it is not the one asked for, or empty
  std::string rate_note;        // how the sampling rate was capped, or empty
  std::string scope_note;       // why kernel time is left out, or empty
  std::vector<RawSample> samples;
  std::map<uint32_t, std::vector<Mapping>> mappings;  // by pid
  std::map<uint32_t, std::string> comms;              // by pid: the process's name
  std::map<uint32_t, std::string> thread_names;       // by tid: each thread's own comm
  uint64_t lost = 0;
  uint64_t throttled = 0;
  // With off-CPU sampling: when each thread was switched back in, by tid.
  std::map<uint32_t, std::vector<uint64_t>> switch_ins;
};

struct Profile {
  std::string event;
  std::string fallback_reason;
  std::string kernel_note;  // why kernel frames are `[kernel]`, or empty
  std::vector<ProfileStack> stacks;
  uint64_t samples = 0;
  uint64_t complete = 0;  // samples whose outermost frame is main, _start or a thread start
  uint64_t lost = 0;
  uint64_t throttled = 0;
  // With off-CPU time: stack counts are microseconds, not samples, and
  // these split the wall time the threads lived.
  bool weighted_by_time = false;
  uint64_t on_cpu_us = 0;
  uint64_t off_cpu_us = 0;
  uint64_t switches = 0;  // switch-outs seen
};

}  // namespace perfkit::profiler
