// Engine entry points, each defined in a file compiled with its ISA's flags.
#pragma once

#include <cstddef>

namespace perfkit::memops::internal {

#define PERFKIT_MEMOPS_ENGINE(name)                          \
  void* name##Copy(void* dst, const void* src, size_t n);    \
  void* name##Move(void* dst, const void* src, size_t n);    \
  int name##Compare(const void* a, const void* b, size_t n); \
  void* name##Set(void* dst, int c, size_t n);

PERFKIT_MEMOPS_ENGINE(Scalar)
PERFKIT_MEMOPS_ENGINE(Sse2)
PERFKIT_MEMOPS_ENGINE(Avx2)
PERFKIT_MEMOPS_ENGINE(Avx512)

#undef PERFKIT_MEMOPS_ENGINE

// Set from the last-level cache size before any engine is handed out
// (AllEngines, BestEngine); a plain load, since a call here cost the 512 B -
// 2 KiB range a fifth of glibc's speed. Until then nothing streams.
extern size_t g_non_temporal_threshold;
inline size_t CachedNonTemporalThreshold() { return g_non_temporal_threshold; }

}  // namespace perfkit::memops::internal
