// One call stack from a sampling profile, the unit the profiler hands up:
// the store keeps these, report/ draws and diffs them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace perfkit {

// Root first, with how many samples ended in it.
struct ProfileStack {
  std::vector<std::string> frames;
  uint64_t count = 0;
};

}  // namespace perfkit
