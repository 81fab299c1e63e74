// The programs the jit suite races: eBPF assembly, the memory each runs on,
// the r0 it must return, and the same work written in C++.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace perfkit::suites {

struct JitWorkload {
  const char* name;
  const char* what;  // one line for the suite's comment and README
  const char* assembly;
  std::vector<uint8_t> (*memory)();
  uint64_t (*native)(uint8_t* mem, uint64_t size);
};

const std::vector<JitWorkload>& JitWorkloads();

}  // namespace perfkit::suites
