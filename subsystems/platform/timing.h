// Cycle-level timing on the machine at hand: the time-stamp counter's rate
// (measured against the clock, never assumed) and what one PAUSE costs, which
// differs by an order of magnitude between microarchitectures (about 10
// cycles before Skylake and on early Zen, about 140 on Skylake, ~65 on Zen 4).
#pragma once

#include <cstdint>

namespace perfkit::platform {

uint64_t ReadTsc();

// TSC ticks per nanosecond, measured over about 20 ms once; 0 off x86-64.
double TscGhz();

struct PauseCost {
  double tsc_cycles = 0;  // 0 off x86-64
  double ns = 0;
};
// One PAUSE: the median of seven runs of `count` PAUSEs, timed by the TSC
// and by the clock together.
PauseCost MeasurePause(int count);

}  // namespace perfkit::platform
