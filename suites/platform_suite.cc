// The platform suite: the claims performance guides make about low-level
// techniques, each measured beside its alternative on the machine at hand
// (platform_cpu.cc, platform_memory.cc, platform_serialize.cc,
// platform_spawn.cc), with one line per claim after the results.
#include "suites/suite.h"

namespace perfkit::suites {

void AddPlatformCpuBenchmarks(SuiteSpec& suite);
void AddPlatformMemoryBenchmarks(SuiteSpec& suite);
void AddPlatformSerializeBenchmarks(SuiteSpec& suite);
void AddPlatformSpawnBenchmarks(SuiteSpec& suite);

SuiteSpec MakePlatformSuite() {
  SuiteSpec suite{"platform",
                  "atomics, spin-waiting, false sharing, prefetching, huge pages, NUMA, branches, "
                  "zero-copy serialization, pooled buffers and process cold start",
                  {},
                  {}};
  AddPlatformCpuBenchmarks(suite);
  AddPlatformMemoryBenchmarks(suite);
  AddPlatformSerializeBenchmarks(suite);
  AddPlatformSpawnBenchmarks(suite);
  return suite;
}

}  // namespace perfkit::suites
