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

// The one rule for when the loops stream, by the bytes an operation touches:
// a copy touches 2n, a set n. A set of 16 MiB on a 32 MiB L3 ran 2.5x faster
// with cached stores, one of exactly 32 MiB at 1.50x glibc cached and 0.95x
// streamed (Zen 4); so sets stream only past the cache.
inline bool CopyStreams(size_t n) { return n >= CachedNonTemporalThreshold(); }
inline bool SetStreams(size_t n) { return n / 2 > CachedNonTemporalThreshold(); }

}  // namespace perfkit::memops::internal
