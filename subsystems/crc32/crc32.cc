#include "subsystems/crc32/crc32.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "subsystems/base/check.h"
#include "subsystems/base/cpu_caches.h"
#include "subsystems/base/cpu_features.h"
#include "subsystems/crc32/crc32_internal.h"

namespace perfkit::crc32 {
namespace {

using namespace internal;

std::string_view Missing(bool ok, std::string_view why) { return ok ? std::string_view() : why; }

// Where the 512-bit CRC-32C engine runs its hybrid. Elsewhere than Intel,
// from 8 KiB to a quarter of the last-level cache (with the cache size
// unknown, to 1 MiB: the L2 of the smallest core with AVX-512 VPCLMULQDQ we
// know of, where the hybrid is still in cache). On Intel the multiplies run
// at one a cycle, the folds alone reach the multiply bound in cache
// (107-110 of 112 GB/s, 8 KiB-1 MiB, a Sapphire Rapids-class Xeon) and the
// crc32 streams only contend for the core (the hybrid was 1.15-1.17x
// slower); but once the data cannot be in the L2, four streams fetch better
// than one: the hybrid was 1.10-1.28x faster on data from memory at 256 KiB-
// 32 MiB, and on data hot in the L3 even from 2 MiB, 0.99-1.07x at 4-16 MiB
// and 1.12-1.22x at 32 MiB (an Emerald Rapids-class Xeon, 2 MiB L2; slower,
// 0.89-0.95x, at 256 KiB-1 MiB hot in the L2). So there it runs from the L2
// size (2 MiB when unknown) up.
struct HybridBand {
  size_t from, until;
};
HybridBand HybridBandFor(const CpuCaches& c, const CpuFeatures& f) {
  if (f.intel) {
    const int64_t l2 = c.Bytes("L2");
    return {l2 > 0 ? static_cast<size_t>(l2) : size_t{2} << 20, SIZE_MAX};
  }
  const int64_t llc = c.LastLevelBytes();
  return {8192, llc > 0 ? static_cast<size_t>(llc) / 4 : size_t{1} << 20};
}

std::vector<Engine> MakeEngines(const CpuFeatures& f) {
  std::vector<Engine> engines = {
      {"slice8", Kind::kCrc32, &Crc32Slice8, {}, "all sizes: 8 table lookups per 8 bytes"},
      {"slice8", Kind::kCrc32c, &Crc32cSlice8, {}, "all sizes: 8 table lookups per 8 bytes"},
  };
#if PERFKIT_X86_64
  const auto sse42 = Missing(f.sse42, "CPU lacks SSE4.2");
  const auto pclmul = Missing(f.sse42 && f.pclmulqdq, "CPU lacks PCLMULQDQ or SSE4.2");
  const auto vpclmul =
      Missing(f.sse42 && f.pclmulqdq && f.avx2 && f.vpclmulqdq, "CPU lacks VPCLMULQDQ or AVX2");
  const auto avx512 =
      Missing(f.sse42 && f.pclmulqdq && f.avx2 && f.vpclmulqdq && f.avx512f && f.avx512vl,
              "CPU lacks AVX-512 (F, VL) or VPCLMULQDQ");
  // By capability, narrowest first: the widest engine a CPU has is the
  // best (the crc32 suite checks that on each machine it runs on).
  // Streams are merged by carry-less multiplies: a CPU with SSE4.2 and no
  // PCLMULQDQ (Nehalem, or a VM that hides it) runs one stream throughout.
  const std::string_view sse42_by_size =
      f.pclmulqdq ? "< 192 B: the crc32 instruction, 8 bytes at a time; >= 192 B: three crc32 "
                    "streams merged by carry-less multiplies"
                  : "all sizes: the crc32 instruction, 8 bytes at a time; no PCLMULQDQ to merge "
                    "streams with";
  constexpr std::string_view kPclmul =
      "< 16 B: slice8; 16-63 B: one 128-bit fold; >= 64 B: four 128-bit folds";
  constexpr std::string_view kPclmulC =
      "< 64 B: the crc32 instruction; >= 64 B: four 128-bit folds";
  constexpr std::string_view kVpclmul =
      "< 16 B: slice8; 16-63 B: one 128-bit fold; 64-255 B: two 256-bit folds; "
      ">= 256 B: four 256-bit folds";
  constexpr std::string_view kVpclmulC =
      "< 256 B: the crc32 instruction; >= 256 B: four 256-bit folds";
  constexpr std::string_view kHybrid =
      "< 256 B: the crc32 instruction; 256 B-1.5 KiB: four 256-bit folds; >= 1.5 KiB: 256-bit "
      "folds beside three crc32 streams";
  const std::string_view avx512_by_size =
      f.intel ? "< 16 B: slice8; 16-63 B: one 128-bit fold; 64-255 B: two 256-bit folds; "
                ">= 256 B: four 512-bit folds"
              : "< 16 B: slice8; 16-63 B: one 128-bit fold; 64-255 B: one 512-bit fold; "
                ">= 256 B: four 512-bit folds";
  const std::string_view avx512c_by_size =
      f.intel ? "< 256 B: the crc32 instruction; 256 B to the L2 size: four 512-bit folds; from "
                "the L2 size: 512-bit folds beside three crc32 streams"
              : "< 256 B: the crc32 instruction; 256 B-8 KiB: four 512-bit folds; 8 KiB to a "
                "quarter of the last-level cache: 512-bit folds beside three crc32 streams; "
                "above: four 512-bit folds";
  engines.insert(engines.end(),
                 {
                     {"sse42", Kind::kCrc32c, f.pclmulqdq ? &Crc32cSse42 : &Crc32cSse42Serial,
                      sse42, sse42_by_size},
                     {"pclmul", Kind::kCrc32, &Crc32Pclmul, pclmul, kPclmul},
                     {"pclmul", Kind::kCrc32c, &Crc32cPclmul, pclmul, kPclmulC},
                     {"vpclmul", Kind::kCrc32, &Crc32Vpclmul, vpclmul, kVpclmul},
                     {"vpclmul", Kind::kCrc32c, &Crc32cVpclmul, vpclmul, kVpclmulC},
                     {"hybrid", Kind::kCrc32c, &Crc32cHybrid, vpclmul, kHybrid},
                     {"avx512", Kind::kCrc32, &Crc32Avx512, avx512, avx512_by_size},
                     {"avx512", Kind::kCrc32c, &Crc32cAvx512, avx512, avx512c_by_size},
                 });
#elif PERFKIT_AARCH64
  const auto crc = Missing(f.arm_crc32, "CPU lacks the ARMv8 CRC32 extension");
  engines.insert(
      engines.end(),
      {
          {"armv8", Kind::kCrc32, &Crc32Armv8, crc, "all sizes: the CRC32 instructions"},
          {"armv8", Kind::kCrc32c, &Crc32cArmv8, crc, "all sizes: the CRC32C instructions"},
      });
#endif
  (void)f;
  return engines;
}

const std::vector<Engine>& Engines() {
  static const std::vector<Engine> engines = [] {
    const CpuFeatures& features = GetCpuFeatures();
    const HybridBand band = HybridBandFor(DetectCaches(), features);
    g_crc32c_hybrid_from = band.from;
    g_crc32c_hybrid_until = band.until;
    g_crc32_two_ymm_below = features.intel ? 256 : 64;
    return MakeEngines(features);
  }();
  return engines;
}

const Engine& ChooseBest(Kind kind, const std::vector<Engine>& engines) {
  const Engine* best = nullptr;
  for (const Engine& e : engines) {
    if (e.kind == kind && e.available()) best = &e;
  }
  PERFKIT_CHECK(best != nullptr);  // slice8 is always available
  return *best;
}

}  // namespace

namespace internal {
size_t g_crc32c_hybrid_from = SIZE_MAX;
size_t g_crc32c_hybrid_until = 0;
size_t g_crc32_two_ymm_below = 64;
}  // namespace internal

std::string_view KindName(Kind kind) { return kind == Kind::kCrc32 ? "crc32" : "crc32c"; }

std::span<const Engine> AllEngines() { return Engines(); }

bool Avx512RunsHybridAt(size_t size) {
  Engines();  // sets the band
  return InHybridBand(size);
}

const Engine& BestEngine(Kind kind) {
  static const Engine& crc32 = ChooseBest(Kind::kCrc32, Engines());
  static const Engine& crc32c = ChooseBest(Kind::kCrc32c, Engines());
  return kind == Kind::kCrc32 ? crc32 : crc32c;
}

Engine BestEngineFor(Kind kind, const CpuFeatures& features) {
  return ChooseBest(kind, MakeEngines(features));
}

namespace {

// Installed by UseBands; never freed, since a thread may still be reading an
// older table (a process installs one or two).
struct BandTable {
  size_t count = 0;
  size_t from[kMaxBands] = {};
  const Engine* engine[kMaxBands] = {};
  const Engine& At(size_t size) const {
    size_t i = count - 1;
    while (size < from[i]) --i;
    return *engine[i];
  }
};
std::atomic<const BandTable*> g_bands[2];

std::atomic<const BandTable*>& BandsOf(Kind kind) { return g_bands[kind == Kind::kCrc32 ? 0 : 1]; }

}  // namespace

Status UseBands(Kind kind, std::span<const Band> bands) {
  if (bands.empty() || bands.size() > kMaxBands || bands[0].from != 0) {
    return Status::InvalidArgument(
        fmt::format("{} bands: 1 to {} of them, the first from 0 B", KindName(kind), kMaxBands));
  }
  auto table = std::make_unique<BandTable>();
  for (const Band& band : bands) {
    const Engine* found = nullptr;
    for (const Engine& e : Engines()) {
      if (e.kind == kind && e.name == band.engine) found = &e;
    }
    if (found == nullptr || !found->available()) {
      return Status::InvalidArgument(
          fmt::format("{} engine '{}' {}", KindName(kind), band.engine,
                      found == nullptr ? "is not built in" : "cannot run on this CPU"));
    }
    if (table->count > 0 && band.from <= table->from[table->count - 1]) {
      return Status::InvalidArgument(fmt::format("{} bands out of order", KindName(kind)));
    }
    table->from[table->count] = band.from;
    table->engine[table->count] = found;
    ++table->count;
  }
  BandsOf(kind).store(table.release(), std::memory_order_release);
  return OkStatus();
}

void ClearBands(Kind kind) { BandsOf(kind).store(nullptr, std::memory_order_release); }

bool Tuned(Kind kind) { return BandsOf(kind).load(std::memory_order_acquire) != nullptr; }

std::vector<Band> Bands(Kind kind) {
  std::vector<Band> out;
  if (const BandTable* t = BandsOf(kind).load(std::memory_order_acquire)) {
    for (size_t i = 0; i < t->count; ++i) out.push_back({t->from[i], t->engine[i]->name});
  }
  return out;
}

const Engine& EngineAt(Kind kind, size_t size) {
  const BandTable* t = BandsOf(kind).load(std::memory_order_acquire);
  return t != nullptr ? t->At(size) : BestEngine(kind);
}

uint32_t Crc32(uint32_t crc, const void* data, size_t size) {
  static const CrcFn fn = BestEngine(Kind::kCrc32).fn;
  if (const BandTable* t = g_bands[0].load(std::memory_order_acquire)) {
    return t->At(size).fn(crc, data, size);
  }
  return fn(crc, data, size);
}

uint32_t Crc32c(uint32_t crc, const void* data, size_t size) {
  static const CrcFn fn = BestEngine(Kind::kCrc32c).fn;
  if (const BandTable* t = g_bands[1].load(std::memory_order_acquire)) {
    return t->At(size).fn(crc, data, size);
  }
  return fn(crc, data, size);
}

uint32_t Compute(Kind kind, uint32_t crc, const void* data, size_t size) {
  return kind == Kind::kCrc32 ? Crc32(crc, data, size) : Crc32c(crc, data, size);
}

uint32_t Combine(Kind kind, uint32_t crc_a, uint32_t crc_b, uint64_t size_b) {
  const uint32_t poly = Poly(kind);
  return MulModP(XPowModP(8 * size_b, poly), crc_a, poly) ^ crc_b;
}

}  // namespace perfkit::crc32
