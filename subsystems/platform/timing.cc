#include "subsystems/platform/timing.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "subsystems/base/cpu_features.h"

namespace perfkit::platform {

uint64_t ReadTsc() {
#if PERFKIT_X86_64
  unsigned lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#else
  return 0;
#endif
}

double TscGhz() {
  static const double ghz = [] {
    if (!PERFKIT_X86_64) return 0.0;
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t c0 = ReadTsc();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(20)) {
    }
    const uint64_t c1 = ReadTsc();
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    return static_cast<double>(c1 - c0) / ns;
  }();
  return ghz;
}

PauseCost MeasurePause(int count) {
#if PERFKIT_X86_64
  std::vector<PauseCost> runs(7);
  for (PauseCost& run : runs) {
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t c0 = ReadTsc();
    for (int i = 0; i < count; ++i) __builtin_ia32_pause();
    const uint64_t c1 = ReadTsc();
    const std::chrono::duration<double, std::nano> ns = std::chrono::steady_clock::now() - t0;
    run = {static_cast<double>(c1 - c0) / count, ns.count() / count};
  }
  const auto by_ns = [](const PauseCost& a, const PauseCost& b) { return a.ns < b.ns; };
  std::nth_element(runs.begin(), runs.begin() + 3, runs.end(), by_ns);
  return runs[3];
#else
  (void)count;
  return {};
#endif
}

}  // namespace perfkit::platform
