// Shared by the engine files: polynomial arithmetic in the reflected domain
// (bit 31 of a value is the coefficient of x^0), tables and folding constants.
#pragma once

#include <cstddef>
#include <cstdint>

#include "subsystems/crc32/crc32.h"

namespace perfkit::crc32::internal {

inline constexpr uint32_t kPolyCrc32 = 0xEDB88320u;
inline constexpr uint32_t kPolyCrc32c = 0x82F63B78u;

constexpr uint32_t Poly(Kind kind) { return kind == Kind::kCrc32 ? kPolyCrc32 : kPolyCrc32c; }

// a*b mod P.
constexpr uint32_t MulModP(uint32_t a, uint32_t b, uint32_t poly) {
  uint32_t product = 0;
  for (uint32_t m = 0x80000000u; m != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
  }
  return product;
}

// x^n mod P.
constexpr uint32_t XPowModP(uint64_t n, uint32_t poly) {
  uint32_t result = 0x80000000u;  // x^0
  uint32_t square = 0x40000000u;  // x^1, then x^2, x^4, ...
  for (; n != 0; n >>= 1) {
    if (n & 1) result = MulModP(result, square, poly);
    square = MulModP(square, square, poly);
  }
  return result;
}

// Slicing-by-8 over the raw register (no pre/post inversion).
uint32_t SliceBy8Raw(Kind kind, uint32_t reg, const uint8_t* p, size_t n);

// Multipliers that carry a 128-bit lane D bits forward: the low qword is
// multiplied by x^(D+31), the high one by x^(D-33) (the carry-less product of
// two 32-bit values sitting in 64-bit lanes comes out times x^65).
struct Fold {
  uint64_t lo;
  uint64_t hi;
};
// lanes[15 - m], by 64 + 128m: a lane m lanes before the last carried
// straight to where the reduction's first step (the last lane folded by 64)
// would put it, so the lanes merge and that step happen in one round of
// multiplies. In this order the multipliers for any run of lanes that ends
// at the last are one load: the last 2 (or 4) entries for a ymm (zmm)
// holding the last lanes, the 2 before those for the ymm before it.
struct FoldConstants {
  Fold d128, d256, d384, d512, d768, d1024, d1536, d2048;
  Fold lanes[16];
};

constexpr Fold FoldBy(uint32_t poly, unsigned bits) {
  return {XPowModP(bits + 31, poly), XPowModP(bits - 33, poly)};
}

constexpr FoldConstants MakeFoldConstants(uint32_t poly) {
  FoldConstants k = {FoldBy(poly, 128),  FoldBy(poly, 256),  FoldBy(poly, 384),
                     FoldBy(poly, 512),  FoldBy(poly, 768),  FoldBy(poly, 1024),
                     FoldBy(poly, 1536), FoldBy(poly, 2048), {}};
  for (unsigned m = 0; m < 16; ++m) k.lanes[15 - m] = FoldBy(poly, 64 + 128 * m);
  return k;
}

// Computed by the compiler: an engine reads them with no guard and no call.
inline constexpr FoldConstants kFoldCrc32 = MakeFoldConstants(kPolyCrc32);
inline constexpr FoldConstants kFoldCrc32c = MakeFoldConstants(kPolyCrc32c);
constexpr const FoldConstants& GetFoldConstants(Kind kind) {
  return kind == Kind::kCrc32 ? kFoldCrc32 : kFoldCrc32c;
}

// For CRC-32C: shift_by_qwords[q] = x^(64q - 33) mod P, so that
// crc32q(0, clmul(c, shift_by_qwords[q])) == c * x^(64q) mod P. Streams of up
// to a third of this are merged with independent shifts; long streams matter:
// at 4 KiB per stream, 16 MiB inputs ran at 0.7x ISA-L (prefetchers restart
// at every page of every stream), at 16 KiB at 0.95x.
inline constexpr size_t kMaxShiftQwords = 6144;
const uint32_t* Crc32cShiftTable();

// The 512-bit CRC-32C engine's hybrid (folds beside crc32 streams) runs
// from g_crc32c_hybrid_from up to g_crc32c_hybrid_until bytes. Where the
// carry-less multiplies run at half Intel's rate (Zen 4), from 8 KiB (below,
// its merge costs more than the streams gain: 79 against 73 ns at 4 KiB,
// 132 against 143 at 8 KiB) to a quarter of the last-level cache: past that
// the run is bound by memory, and four streams fetch worse than one (32 MiB
// L3: 1.22x ISA-L at 8 MiB, 0.81x at 16 MiB, where the folds alone gave
// 1.03x). On Intel only from the L2 size up (crc32.cc says why). Set once
// with the engines, from CPUID.
extern size_t g_crc32c_hybrid_from;
extern size_t g_crc32c_hybrid_until;
inline bool InHybridBand(size_t size) {
  return size >= g_crc32c_hybrid_from && size <= g_crc32c_hybrid_until;
}

// The 512-bit CRC-32 engine hands inputs from 64 bytes up to this to the
// 256-bit engine's path (Crc32TwoYmmRaw): 256 on Intel, where one 512-bit
// fold took 1.08-1.2x the two ymm accumulators' time at 128 B in the crc32
// suite, and 1.05x (64 B) to 1.42x (96 B) the narrower folds' time at
// 64-127 B (Sapphire Rapids-class Xeon, family 6 model 207); 64 (never)
// elsewhere: the one fold was chosen for 64-255 B on Zen 4. Set once with
// the engines, from CPUID.
extern size_t g_crc32_two_ymm_below;

// The 256-bit engine's CRC-32 path for 64-255 B, over the raw register.
uint32_t Crc32TwoYmmRaw(uint32_t reg, const uint8_t* p, size_t n);

// Engines in their own files, each compiled with its own ISA flags.
uint32_t Crc32Slice8(uint32_t crc, const void* data, size_t size);
uint32_t Crc32cSlice8(uint32_t crc, const void* data, size_t size);
uint32_t Crc32cSse42(uint32_t crc, const void* data, size_t size);
// One stream only: no carry-less multiply to merge streams with.
uint32_t Crc32cSse42Serial(uint32_t crc, const void* data, size_t size);
uint32_t Crc32Pclmul(uint32_t crc, const void* data, size_t size);
uint32_t Crc32cPclmul(uint32_t crc, const void* data, size_t size);
uint32_t Crc32Vpclmul(uint32_t crc, const void* data, size_t size);
uint32_t Crc32cVpclmul(uint32_t crc, const void* data, size_t size);
uint32_t Crc32cHybrid(uint32_t crc, const void* data, size_t size);
uint32_t Crc32Avx512(uint32_t crc, const void* data, size_t size);
uint32_t Crc32cAvx512(uint32_t crc, const void* data, size_t size);
uint32_t Crc32Armv8(uint32_t crc, const void* data, size_t size);
uint32_t Crc32cArmv8(uint32_t crc, const void* data, size_t size);

}  // namespace perfkit::crc32::internal
