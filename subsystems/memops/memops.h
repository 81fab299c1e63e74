// memcpy, memmove, memcmp and memset with scalar, SSE2, AVX2 and AVX-512
// engines, a one-time runtime choice of the best, and a list of all engines
// for tests and benchmarks. Semantics are the C standard's: Compare returns
// the sign of the first differing byte as unsigned char.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "subsystems/base/cpu_caches.h"
#include "subsystems/base/cpu_features.h"

namespace perfkit::memops {

using CopyFn = void* (*)(void* dst, const void* src, size_t n);
using CompareFn = int (*)(const void* a, const void* b, size_t n);
using SetFn = void* (*)(void* dst, int c, size_t n);

struct Engine {
  std::string_view name;  // "scalar", "sse2", "avx2", "avx512"
  CopyFn copy;
  CopyFn move;
  CompareFn compare;
  SetFn set;
  std::string_view missing;  // why this CPU cannot run it; empty if it can
  // What it does at each size, for `perfkit sysinfo` and `perfkit list`.
  std::string_view by_size = {};
  bool available() const { return missing.empty(); }
};

// Every engine built into this binary, slowest first.
std::span<const Engine> AllEngines();
const Engine& BestEngine();
// What dispatch would pick, and where streaming would start, on another
// machine (a replayed one); never to be called through unless the features
// are this CPU's.
Engine BestEngineFor(const CpuFeatures& features);
size_t NonTemporalThresholdFor(const CpuCaches& caches);
size_t SetStreamingFromFor(const CpuCaches& caches);
// Where the best engine's disjoint copies start to run `rep movsb` (up to
// where they stream); SIZE_MAX: never.
size_t RepMovsbFromFor(const CpuFeatures& features, const CpuCaches& caches);
// Where sets start to run `rep stosb` (up to where they stream); SIZE_MAX:
// never.
size_t RepStosbFromFor(const CpuFeatures& features, const CpuCaches& caches);

void* Copy(void* dst, const void* src, size_t n);
void* Move(void* dst, const void* src, size_t n);
int Compare(const void* a, const void* b, size_t n);
void* Set(void* dst, int c, size_t n);

// Copies at least this large bypass the caches with non-temporal stores:
// where glibc streams, by its rule from the cache sizes (memops.cc), read
// once from the machine; SIZE_MAX (never) when they are unknown. Sets from
// twice this, but only past the last-level cache. Or as measured.
size_t NonTemporalThreshold();
size_t SetStreamingFrom();  // sets of at least this many bytes stream
// Thresholds measured on this machine (perfkit tune) in place of the cache
// rule; SIZE_MAX: never stream. Call before other threads copy.
void UseStreamingThresholds(size_t copy_from, size_t set_from);
void ResetStreamingThresholds();  // back to the cache rule
bool StreamingTuned();
// Where the best engine's copies start to run `rep movsb` as measured here
// (perfkit tune, against its loops) in place of the CPU rule; SIZE_MAX:
// never. Call before other threads copy.
size_t RepMovsbFrom();
void UseRepMovsbFrom(size_t from);
void ResetRepMovsbFrom();  // back to the CPU rule
bool RepMovsbTuned();
// The same for sets and `rep stosb`, every engine.
size_t RepStosbFrom();
void UseRepStosbFrom(size_t from);
void ResetRepStosbFrom();
bool RepStosbTuned();
// Whether a copy (or a set) of n bytes streams, by that threshold.
bool CopyStreams(size_t n);
bool SetStreams(size_t n);

// Moves that threshold for as long as it lives: the memops suite measures
// where streaming starts to win with it. Not while other threads copy.
class ScopedNonTemporalThreshold {
 public:
  explicit ScopedNonTemporalThreshold(size_t bytes);
  ~ScopedNonTemporalThreshold();
  ScopedNonTemporalThreshold(const ScopedNonTemporalThreshold&) = delete;
  ScopedNonTemporalThreshold& operator=(const ScopedNonTemporalThreshold&) = delete;

 private:
  size_t saved_, saved_set_;
};

// Moves where every engine's copies start to run `rep movsb` for as long as
// it lives, so the path runs (and is tested) on CPUs that do not choose it.
// Not while other threads copy.
class ScopedRepMovsbFrom {
 public:
  explicit ScopedRepMovsbFrom(size_t bytes);
  ~ScopedRepMovsbFrom();
  ScopedRepMovsbFrom(const ScopedRepMovsbFrom&) = delete;
  ScopedRepMovsbFrom& operator=(const ScopedRepMovsbFrom&) = delete;

 private:
  size_t saved_, saved_wide_;
};

// The same for sets and `rep stosb`.
class ScopedRepStosbFrom {
 public:
  explicit ScopedRepStosbFrom(size_t bytes);
  ~ScopedRepStosbFrom();
  ScopedRepStosbFrom(const ScopedRepStosbFrom&) = delete;
  ScopedRepStosbFrom& operator=(const ScopedRepStosbFrom&) = delete;

 private:
  size_t saved_;
};

}  // namespace perfkit::memops
