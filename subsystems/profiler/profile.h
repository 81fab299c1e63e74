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
  std::vector<RawSample> samples;
  std::map<uint32_t, std::vector<Mapping>> mappings;  // by pid
  std::map<uint32_t, std::string> comms;              // by pid
  uint64_t lost = 0;
  uint64_t throttled = 0;
};

struct Profile {
  std::string event;
  std::string fallback_reason;
  std::vector<ProfileStack> stacks;
  uint64_t samples = 0;
  uint64_t complete = 0;  // samples whose outermost frame is main, _start or a thread start
  uint64_t lost = 0;
  uint64_t throttled = 0;
};

}  // namespace perfkit::profiler
