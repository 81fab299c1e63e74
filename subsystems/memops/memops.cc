#include "subsystems/memops/memops.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "subsystems/base/check.h"
#include "subsystems/base/cpu_features.h"
#include "subsystems/memops/memops_internal.h"

namespace perfkit::memops {
namespace {

using namespace internal;

size_t LastLevelCacheBytes() {
  size_t best = 0;
  for (int i = 0; i < 8; ++i) {
    std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/size");
    std::string size;
    if (!(in >> size)) break;
    size_t v = std::stoull(size);
    if (size.back() == 'K') v <<= 10;
    if (size.back() == 'M') v <<= 20;
    best = std::max(best, v);
  }
  return best;
}

std::vector<Engine> MakeEngines() {
  std::vector<Engine> e = {{"scalar", &ScalarCopy, &ScalarMove, &ScalarCompare, &ScalarSet, {}}};
#if PERFKIT_X86_64
  const CpuFeatures& f = GetCpuFeatures();
  e.push_back({"sse2", &Sse2Copy, &Sse2Move, &Sse2Compare, &Sse2Set,
               f.sse2 ? std::string_view() : "CPU lacks SSE2"});
  e.push_back({"avx2", &Avx2Copy, &Avx2Move, &Avx2Compare, &Avx2Set,
               f.avx2 ? std::string_view() : "CPU lacks AVX2"});
#ifdef PERFKIT_MEMOPS_AVX512
  e.push_back({"avx512", &Avx512Copy, &Avx512Move, &Avx512Compare, &Avx512Set,
               f.avx512f && f.avx512bw ? std::string_view() : "CPU lacks AVX-512 F/BW"});
#endif
#endif
  return e;
}

const std::vector<Engine>& Engines() {
  static const std::vector<Engine> engines = [] {
    const size_t llc = LastLevelCacheBytes();
    g_non_temporal_threshold = llc == 0 ? size_t{1} << 20 : llc / 2;
    return MakeEngines();
  }();
  return engines;
}

}  // namespace

namespace internal {
size_t g_non_temporal_threshold = SIZE_MAX;
}  // namespace internal

std::span<const Engine> AllEngines() { return Engines(); }

const Engine& BestEngine() {
  static const Engine& best = [&]() -> const Engine& {
    const Engine* b = nullptr;
    for (const Engine& e : Engines()) {
      if (e.available()) b = &e;
    }
    PERFKIT_CHECK(b != nullptr);
    return *b;
  }();
  return best;
}

size_t NonTemporalThreshold() {
  Engines();
  return g_non_temporal_threshold;
}

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
