// Reads the machine and build context a run is judged in: CPU, topology,
// caches, kernel knobs that move timings (governor, boost, THP, ASLR), whether
// a hardware PMU is usable, and how perfkit and Google Benchmark were built.
// Anything the machine hides is "unavailable", never a guess.
#pragma once

#include "suites/result.h"

namespace perfkit::harness {

HostContext ReadHostContext();

}  // namespace perfkit::harness
