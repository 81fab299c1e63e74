// CRC-32 (zlib/IEEE, reflected 0xEDB88320) and CRC-32C (Castagnoli, reflected
// 0x82F63B78) with several engines and a one-time runtime choice of the best.
// All functions use zlib's convention: start from 0, chain by passing the
// previous result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "subsystems/base/cpu_caches.h"
#include "subsystems/base/cpu_features.h"
#include "subsystems/base/status.h"

namespace perfkit::crc32 {

enum class Kind { kCrc32, kCrc32c };

std::string_view KindName(Kind kind);  // "crc32" or "crc32c"

using CrcFn = uint32_t (*)(uint32_t crc, const void* data, size_t size);

struct Engine {
  std::string_view name;  // "slice8", "sse42", "pclmul", "vpclmul", "hybrid", "armv8"
  Kind kind;
  CrcFn fn;
  // Empty when this CPU can run the engine; otherwise why not.
  std::string_view missing;
  // What it does at each size (the wide engines hand small inputs to
  // narrower paths inline), for `perfkit sysinfo` and `perfkit list`.
  std::string_view by_size = {};
  bool available() const { return missing.empty(); }
};

// Every engine built into this binary, available or not, fastest last.
std::span<const Engine> AllEngines();

// The fastest available engine for a kind; chosen once.
const Engine& BestEngine(Kind kind);
// What dispatch would pick on a CPU with these features (a replayed
// machine's, in tests and `sysinfo --machine`); never to be called through
// unless the features are this CPU's.
Engine BestEngineFor(Kind kind, const CpuFeatures& features);

// A measured choice (perfkit tune): from `from` bytes up to the next band's
// start, `engine` runs. The first band starts at 0.
struct Band {
  size_t from = 0;
  std::string_view engine;
};
inline constexpr size_t kMaxBands = 8;
// Dispatch follows these bands from now on; an unknown or unavailable engine,
// bands out of order or more than kMaxBands are refused and change nothing.
// Call before other threads compute CRCs.
Status UseBands(Kind kind, std::span<const Band> bands);
void ClearBands(Kind kind);  // back to the capability choice
bool Tuned(Kind kind);
std::vector<Band> Bands(Kind kind);  // those in force; empty when not tuned
// The engine dispatch runs at this size, tuned or not.
const Engine& EngineAt(Kind kind, size_t size);
// Whether the 512-bit CRC-32C engine runs its hybrid at this size: folds
// beside streams of the crc32 instruction, so more than folds alone allow.
bool Avx512RunsHybridAt(size_t size);

uint32_t Crc32(uint32_t crc, const void* data, size_t size);
uint32_t Crc32c(uint32_t crc, const void* data, size_t size);
uint32_t Compute(Kind kind, uint32_t crc, const void* data, size_t size);

// The CRC of A||B from crc(A), crc(B) and |B|, like zlib's crc32_combine.
uint32_t Combine(Kind kind, uint32_t crc_a, uint32_t crc_b, uint64_t size_b);

}  // namespace perfkit::crc32
