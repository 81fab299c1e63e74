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
extern size_t g_set_stream_from;
inline size_t CachedNonTemporalThreshold() { return g_non_temporal_threshold; }

// Disjoint copies from this many bytes up to where they stream run `rep
// movsb`; SIZE_MAX (never) but on Intel with fast strings (memops.cc). The
// wide one for the engine with 64-byte vectors, whose loops keep up with
// `rep movsb` for longer.
extern size_t g_rep_movsb_from;
extern size_t g_rep_movsb_from_wide;
// Sets past eight vectors from this many bytes up to where they stream run
// `rep stosb`; SIZE_MAX (never) but on Intel with fast strings (memops.cc).
extern size_t g_rep_stosb_from;

// The one rule for when the loops stream. By default by the bytes an
// operation touches: a copy touches 2n, a set n. A set of 16 MiB on a 32 MiB
// L3 ran 2.5x faster with cached stores, one of exactly 32 MiB at 1.50x glibc
// cached and 0.95x streamed (Zen 4); so sets stream only past the cache.
// perfkit tune measures both instead.
inline bool CopyStreams(size_t n) { return n >= CachedNonTemporalThreshold(); }
inline bool SetStreams(size_t n) { return n >= g_set_stream_from; }
// Where sets start to stream for a copy threshold, by the rule above.
inline size_t SetStreamFrom(size_t copy_from) {
  return copy_from >= SIZE_MAX / 2 ? SIZE_MAX : 2 * copy_from + 1;
}

}  // namespace perfkit::memops::internal
