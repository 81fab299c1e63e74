// Whether code returns with the upper halves of ymm0-15 dirty, which costs
// its caller's SSE code: the memops and crc32 tests check every engine.
#pragma once

#include <cpuid.h>

#include <cstdint>
#include <optional>

namespace perfkit {

// XINUSE bit 2 (XGETBV with ECX=1), or nullopt where the CPU cannot say.
inline std::optional<bool> UpperHalvesInUse() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(0xd, 1, &eax, &ebx, &ecx, &edx) || (eax & 4) == 0) return std::nullopt;
  uint32_t lo = 0, hi = 0;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
  return (lo & 4) != 0;
}

// Dirty halves mean the CPU has AVX, so vzeroupper is there to clean them.
inline void CleanUpperHalves() {
  if (UpperHalvesInUse().value_or(false)) asm volatile("vzeroupper");
}

// Whether `call` returns with the upper halves clean, from clean ones.
template <typename Call>
bool LeavesUpperHalvesClean(Call&& call) {
  CleanUpperHalves();
  call();
  return !UpperHalvesInUse().value_or(false);
}

}  // namespace perfkit
