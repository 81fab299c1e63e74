#include "subsystems/memops/memops.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "subsystems/base/check.h"
#include "subsystems/base/cpu_caches.h"
#include "subsystems/base/cpu_features.h"
#include "subsystems/memops/memops_internal.h"

namespace perfkit::memops {
namespace {

using namespace internal;

std::vector<Engine> MakeEngines(const CpuFeatures& f) {
  std::vector<Engine> e = {{"scalar",
                            &ScalarCopy,
                            &ScalarMove,
                            &ScalarCompare,
                            &ScalarSet,
                            {},
                            "all sizes: 8-byte words"}};
#if PERFKIT_X86_64
  e.push_back({"sse2", &Sse2Copy, &Sse2Move, &Sse2Compare, &Sse2Set,
               f.sse2 ? std::string_view() : "CPU lacks SSE2",
               "< 16 B: scalar; 16-128 B: 16-byte vectors from both ends; > 128 B: a loop"});
  e.push_back({"avx2", &Avx2Copy, &Avx2Move, &Avx2Compare, &Avx2Set,
               f.avx2 ? std::string_view() : "CPU lacks AVX2",
               "< 32 B: sse2's paths; 32-256 B: 32-byte vectors from both ends; > 256 B: a loop"});
#ifdef PERFKIT_MEMOPS_AVX512
  e.push_back(
      {"avx512", &Avx512Copy, &Avx512Move, &Avx512Compare, &Avx512Set,
       f.avx512f && f.avx512bw && f.avx512vl ? std::string_view() : "CPU lacks AVX-512 F/BW/VL",
       "< 32 B: masked loads and stores; <= 128 B (compares <= 64 B): avx2's paths; to 512 B: "
       "64-byte vectors from both ends; > 512 B: a loop"});
#endif
#endif
  (void)f;
  return e;
}

const Engine& ChooseBest(const std::vector<Engine>& engines) {
  const Engine* b = nullptr;
  for (const Engine& e : engines) {
    if (e.available()) b = &e;
  }
  PERFKIT_CHECK(b != nullptr);
  return *b;
}

// Intel's fast strings (ERMS, and FSRM for short ones) write whole lines
// without reading them first: glibc copies with `rep movsb` from 2112 bytes
// there (2048 per 16 bytes of vector without FSRM), and on a Sapphire
// Rapids-class Xeon our vector loops ran at 0.93-0.94x glibc's copies at
// 64 KiB-1 MiB, the avx2 engine's at 0.62x at 4 KiB. The avx512 engine's
// loop stores 64 bytes at a time, as `rep movsb` does, and wins while a
// copy's source and destination fit the L1d together: from 2112 B it had
// run 1.04-1.32x slower than its own loop at 3-8 KiB, and 2-5% faster from
// 32 KiB (an Emerald Rapids-class Xeon, 48 KiB L1d), so `wide` engines start
// at half the L1d. On Zen 3 `rep movsb` ran at 0.79-1.14x glibc's vector
// copies from 2 KiB to 4 MiB: no gain, so the loops stay on AMD.
size_t RepMovsbRule(const CpuFeatures& f, const CpuCaches& caches, bool wide) {
  if (!f.intel || !f.erms) return SIZE_MAX;
  const size_t glibc = f.fsrm ? 2112 : 4096;
  return wide ? std::max(glibc, static_cast<size_t>(caches.Bytes("L1d")) / 2) : glibc;
}

// Sets too: glibc sets with `rep stosb` from 2 KiB on Intel, and there our
// loops ran sets whose lines were not in the L1d at 0.50-0.93x glibc's
// (from 256 KiB-2 MiB up, by how many buffers took turns), fast strings
// taking the lines without reading them first; with it, 0.93-1.04x. While
// the data stayed in the L1d the loops won: the avx2 engine's by 1.2-1.65x
// at 2.5-3 KiB, the avx512 engine's by up to 1.16x at 4-8 KiB, and `rep
// stosb` was level or ahead from 12 KiB (the same Xeon, 48 KiB L1d); so
// sets start at a quarter of the L1d, in every engine.
size_t RepStosbRule(const CpuFeatures& f, const CpuCaches& caches) {
  if (!f.intel || !f.erms) return SIZE_MAX;
  const int64_t l1d = caches.Bytes("L1d");
  return std::max<size_t>(4096, static_cast<size_t>(l1d > 0 ? l1d : 32768) / 4);
}

// Streaming stores win only once the data would not stay in cache, and
// how much of the cache is ours is guessed as glibc guesses it (Debian 12's
// 2.36 with the 2.38-2.39 changes): a quarter of the L3 and L2 together,
// but never below 3/4 of one logical CPU's share (the L3 over the CPUs
// CPUID says share it, plus the L2), so that perfkit streams where the
// system's memcpy does. Half the L3 had streamed later than glibc in VMs
// whose CPUID gives the whole socket's L3 to their few vCPUs: from 130 MiB
// on an Emerald Rapids-class Xeon reporting 260 MiB, where glibc streams
// from 99 MiB and the suite's crossover showed streaming winning from
// 2 MiB, which only a measurement finds (perfkit tune). On Zen 3 (32 MiB
// L3 shared by 2) it is 12 MiB, and the first size of the suite's doubling
// steps past it, 16 MiB, is where streaming won. From CPUID, with /sys
// where CPUID says nothing; with the cache size unknown, never stream
// rather than guess.
size_t ThresholdFor(const CpuCaches& caches) {
  const size_t l2 = static_cast<size_t>(caches.Bytes("L2"));
  size_t l3 = 0, l3_share = 0;
  for (const CacheLevel& c : caches.caches) {
    if (c.name != "L3") continue;
    l3 = static_cast<size_t>(c.bytes);
    l3_share = l3 / static_cast<size_t>(std::max(1, c.shared_by));
  }
  if (l3 + l2 == 0) return SIZE_MAX;
  const size_t threshold = std::max((l3 + l2) / 4, (l3_share + l2) / 4 * 3);
  // Whole MiB where it is that large, for a threshold people can read.
  return threshold < (size_t{1} << 20) ? threshold : threshold & ~((size_t{1} << 20) - 1);
}

// Sets from twice the copy threshold and never inside the last-level cache
// (memops_internal.h says why): glibc's rule for copies alone would start
// them at 24 MiB on a 32 MiB L3, where a 32 MiB set streamed ran 0.78x
// (Zen 4).
size_t SetThresholdFor(const CpuCaches& caches, size_t copy_from) {
  const size_t llc = static_cast<size_t>(caches.LastLevelBytes());
  const size_t set_from = SetStreamFrom(copy_from);
  return set_from == SIZE_MAX ? SIZE_MAX : std::max(set_from, llc + 1);
}

bool g_streaming_tuned = false;
bool g_rep_movsb_tuned = false;
bool g_rep_stosb_tuned = false;

bool IsWide(const Engine& e) { return e.name == "avx512"; }

void SetRepMovsbRules() {
  g_rep_movsb_from = RepMovsbRule(GetCpuFeatures(), DetectCaches(), false);
  g_rep_movsb_from_wide = RepMovsbRule(GetCpuFeatures(), DetectCaches(), true);
}

void SetRepStosbRule() { g_rep_stosb_from = RepStosbRule(GetCpuFeatures(), DetectCaches()); }

const std::vector<Engine>& Engines() {
  static const std::vector<Engine> engines = [] {
    if (!g_streaming_tuned) {
      g_non_temporal_threshold = ThresholdFor(DetectCaches());
      g_set_stream_from = SetThresholdFor(DetectCaches(), g_non_temporal_threshold);
    }
    SetRepMovsbRules();
    if (!g_rep_stosb_tuned) SetRepStosbRule();
    return MakeEngines(GetCpuFeatures());
  }();
  return engines;
}

// The threshold of the engine dispatch picks, the one perfkit tune measures.
size_t& BestRepMovsbFrom() {
  return IsWide(BestEngine()) ? g_rep_movsb_from_wide : g_rep_movsb_from;
}

}  // namespace

namespace internal {
size_t g_non_temporal_threshold = SIZE_MAX;
size_t g_set_stream_from = SIZE_MAX;
size_t g_rep_movsb_from = SIZE_MAX;
size_t g_rep_movsb_from_wide = SIZE_MAX;
size_t g_rep_stosb_from = SIZE_MAX;
}  // namespace internal

std::span<const Engine> AllEngines() { return Engines(); }

const Engine& BestEngine() {
  static const Engine& best = ChooseBest(Engines());
  return best;
}

Engine BestEngineFor(const CpuFeatures& features) { return ChooseBest(MakeEngines(features)); }

size_t NonTemporalThresholdFor(const CpuCaches& caches) { return ThresholdFor(caches); }
size_t SetStreamingFromFor(const CpuCaches& caches) {
  return SetThresholdFor(caches, ThresholdFor(caches));
}
size_t RepMovsbFromFor(const CpuFeatures& features, const CpuCaches& caches) {
  return RepMovsbRule(features, caches, IsWide(BestEngineFor(features)));
}

size_t RepStosbFromFor(const CpuFeatures& features, const CpuCaches& caches) {
  return RepStosbRule(features, caches);
}

size_t RepStosbFrom() {
  Engines();
  return g_rep_stosb_from;
}

size_t NonTemporalThreshold() {
  Engines();
  return g_non_temporal_threshold;
}

bool CopyStreams(size_t n) {
  Engines();
  return internal::CopyStreams(n);
}

bool SetStreams(size_t n) {
  Engines();
  return internal::SetStreams(n);
}

size_t SetStreamingFrom() {
  Engines();
  return g_set_stream_from;
}

void UseStreamingThresholds(size_t copy_from, size_t set_from) {
  g_streaming_tuned = true;
  Engines();
  g_non_temporal_threshold = copy_from;
  g_set_stream_from = set_from;
}

void ResetStreamingThresholds() {
  Engines();
  g_streaming_tuned = false;
  g_non_temporal_threshold = ThresholdFor(DetectCaches());
  g_set_stream_from = SetThresholdFor(DetectCaches(), g_non_temporal_threshold);
}

bool StreamingTuned() { return g_streaming_tuned; }

size_t RepMovsbFrom() { return BestRepMovsbFrom(); }

void UseRepMovsbFrom(size_t from) {
  g_rep_movsb_tuned = true;
  BestRepMovsbFrom() = from;
}

void ResetRepMovsbFrom() {
  Engines();
  g_rep_movsb_tuned = false;
  SetRepMovsbRules();
}

bool RepMovsbTuned() { return g_rep_movsb_tuned; }

void UseRepStosbFrom(size_t from) {
  g_rep_stosb_tuned = true;
  Engines();
  g_rep_stosb_from = from;
}

void ResetRepStosbFrom() {
  Engines();
  g_rep_stosb_tuned = false;
  SetRepStosbRule();
}

bool RepStosbTuned() { return g_rep_stosb_tuned; }

ScopedNonTemporalThreshold::ScopedNonTemporalThreshold(size_t bytes)
    : saved_(NonTemporalThreshold()), saved_set_(g_set_stream_from) {
  g_non_temporal_threshold = bytes;
  g_set_stream_from = SetStreamFrom(bytes);
}

ScopedNonTemporalThreshold::~ScopedNonTemporalThreshold() {
  g_non_temporal_threshold = saved_;
  g_set_stream_from = saved_set_;
}

ScopedRepMovsbFrom::ScopedRepMovsbFrom(size_t bytes)
    : saved_((Engines(), g_rep_movsb_from)), saved_wide_(g_rep_movsb_from_wide) {
  g_rep_movsb_from = g_rep_movsb_from_wide = bytes;
}

ScopedRepMovsbFrom::~ScopedRepMovsbFrom() {
  g_rep_movsb_from = saved_;
  g_rep_movsb_from_wide = saved_wide_;
}

ScopedRepStosbFrom::ScopedRepStosbFrom(size_t bytes) : saved_((Engines(), g_rep_stosb_from)) {
  g_rep_stosb_from = bytes;
}

ScopedRepStosbFrom::~ScopedRepStosbFrom() { g_rep_stosb_from = saved_; }

void* Copy(void* dst, const void* src, size_t n) {
  static const CopyFn fn = BestEngine().copy;
  return fn(dst, src, n);
}

void* Move(void* dst, const void* src, size_t n) {
  static const CopyFn fn = BestEngine().move;
  return fn(dst, src, n);
}

int Compare(const void* a, const void* b, size_t n) {
  static const CompareFn fn = BestEngine().compare;
  return fn(a, b, n);
}

void* Set(void* dst, int c, size_t n) {
  static const SetFn fn = BestEngine().set;
  return fn(dst, c, n);
}

}  // namespace perfkit::memops
