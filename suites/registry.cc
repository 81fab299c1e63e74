#include <string>
#include <vector>

#include "suites/harness/interrupt.h"
#include "suites/suite.h"

namespace perfkit::suites {

SuiteSpec MakeCrc32Suite();
SuiteSpec MakeMemopsSuite();
SuiteSpec MakeSlabSuite();
SuiteSpec MakeJitSuite();
SuiteSpec MakeProfilerSuite();

const std::vector<SuiteEntry>& AllSuites() {
  static const std::vector<SuiteEntry> suites = {
      {"crc32", "CRC-32 and CRC-32C engines against zlib, libdeflate and ISA-L", &MakeCrc32Suite},
      // ~960 benchmarks, ~15 minutes and 384 MiB of buffers at the defaults.
      {"memops", "memcpy/memmove/memcmp/memset engines against glibc", &MakeMemopsSuite, false},
      // ~180 benchmarks, ~3 minutes; starts a thread per cross-thread repetition.
      {"slab", "slab allocator against glibc malloc, mimalloc, jemalloc and tcmalloc",
       &MakeSlabSuite, false},
      {"jit", "eBPF interpreter, JIT and tiered VM against native C++", &MakeJitSuite, false},
      {"profiler", "what sampling costs the profiled program, per rate and call-graph mode",
       &MakeProfilerSuite, false},
  };
  return suites;
}

const SuiteEntry* FindSuite(const std::string& name) {
  for (const SuiteEntry& s : AllSuites()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

std::string SuiteNames() {
  std::string out;
  for (const SuiteEntry& s : AllSuites()) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

bool StopRequested() { return harness::InterruptRequested(); }

}  // namespace perfkit::suites
