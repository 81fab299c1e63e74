// Reads the machine and build context a run is judged in: CPU, topology,
// caches, kernel knobs that move timings (governor, boost, THP, ASLR), whether
// a hardware PMU is usable, and how perfkit and Google Benchmark were built.
// Anything the machine hides is "unavailable", never a guess.
#pragma once

#include <string>

#include "results/result.h"
#include "subsystems/base/machine.h"

namespace perfkit::harness {

// The machine perfkit runs on.
HostContext ReadHostContext();
// Any machine, a replayed one included: what is only measured or probed on
// a running machine (PAUSE cost, the PMU, load, hostname) stays unset.
HostContext ReadHostContext(const Machine& machine);
// This machine's ReadHostContext().fingerprint, without measuring or probing
// anything: what keys per-host choices (perfkit tune) on every start.
std::string HostFingerprint();

}  // namespace perfkit::harness
