// Folding helpers for the x86-64 engine files. Everything here has internal
// linkage on purpose: each including file is compiled with different -m flags,
// and a shared inline definition could be resolved to another file's ISA.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "subsystems/crc32/crc32_internal.h"

namespace perfkit::crc32::internal {

// Raw CRC-32C over any length with the crc32 instruction in three streams;
// defined in crc32_sse42.cc, used for short inputs and remainders.
uint32_t Crc32cSse42Raw(uint32_t reg, const uint8_t* p, size_t n);
// reg * x^(64q) mod P for k = Crc32cShiftTable()[q].
uint32_t Crc32cShift(uint32_t reg, uint32_t k);
// The unreduced 64-bit form W of that shift, with crc32q(0, W) equal to it.
uint64_t Crc32cShiftProduct(uint32_t reg, uint32_t k);

namespace {

// Below this many words per stream one serial stream: it is what ISA-L runs
// there too. Three streams give one CRC sooner from about 96 B, but their
// merge (two carry-less multiplies) costs more than it saves for calls that
// overlap: three streams took 1.37-1.49x one stream's time per call at
// 144 B, 1.11-1.21x at 192 B, 0.98x at 256 B; calls chained (each CRC the
// next one's seed) took 0.61-0.99x at 192 B (Zen 3; the multiplies slow
// down when another tenant shares the core). At 64 B: 6.8 ns against 4.1
// (Zen 4).
constexpr size_t kMinStreamQwords = 8;
constexpr size_t kCrc32cStreamsFrom = 3 * 8 * kMinStreamQwords;

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Fewer than 8 bytes in at most three instructions, not a byte loop.
inline uint32_t Tail(uint32_t reg, const uint8_t* p, size_t n) {
  if (n & 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    reg = _mm_crc32_u32(reg, v);
    p += 4;
  }
  if (n & 2) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    reg = _mm_crc32_u16(reg, v);
    p += 2;
  }
  if (n & 1) reg = _mm_crc32_u8(reg, *p);
  return reg;
}

// Four words a turn: one word a turn, calls of 64-192 B that overlap (a
// CRC per packet) took 1.6-2.1x the time of ISA-L's unrolled small path,
// and each as a leaf of its own 1.4-1.8x (Xeon, family 6 model 207); a
// chained call's latency is the same either way.
inline uint32_t Serial(uint32_t reg, const uint8_t* p, size_t n) {
  uint64_t c = reg;
  for (; n >= 32; p += 32, n -= 32) {
    c = _mm_crc32_u64(c, Load64(p));
    c = _mm_crc32_u64(c, Load64(p + 8));
    c = _mm_crc32_u64(c, Load64(p + 16));
    c = _mm_crc32_u64(c, Load64(p + 24));
  }
  for (; n >= 8; p += 8, n -= 8) c = _mm_crc32_u64(c, Load64(p));
  return Tail(static_cast<uint32_t>(c), p, n);
}

// CRC-32C of any length: short inputs serially and inline, which saves the
// call into crc32_sse42.cc (0.5 ns of 3.3 at 16 B).
inline uint32_t Crc32cAny(uint32_t reg, const uint8_t* p, size_t n) {
  if (n < kCrc32cStreamsFrom) return Serial(reg, p, n);
  return Crc32cSse42Raw(reg, p, n);
}

__m128i LoadConstant(const Fold& f) {
  return _mm_set_epi64x(static_cast<long long>(f.hi), static_cast<long long>(f.lo));
}

__m128i Load128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// x * x^D, congruent mod P, kept to 128 bits.
__m128i Fold128(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

// CRC-32's register from x, a lane already carried 64 bits on (the lanes
// merged by FoldConstants::lanes): Intel's reduction ("Fast CRC Computation
// Using PCLMULQDQ") from its second step, 96 bits to 64 by x^64 mod P, then
// Barrett with P and mu = x^64 / P, as 33-bit reflected constants.
inline uint32_t Reduce96Crc32(__m128i x) {
  const __m128i k64 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i barrett = _mm_set_epi64x(0x01f7011641, 0x01db710641);
  const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
  x = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x, low32), k64, 0x00), _mm_srli_si128(x, 4));
  __m128i q = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(x, low32), barrett, 0x10), low32);
  x = _mm_xor_si128(x, _mm_clmulepi64_si128(q, barrett, 0x00));
  return static_cast<uint32_t>(_mm_extract_epi32(x, 1));
}

// The 32-bit register after the 128 bits in x: x * x^32 mod P.
template <Kind kind>
uint32_t Reduce128(__m128i x) {
  if constexpr (kind == Kind::kCrc32c) {
    const uint64_t lo = static_cast<uint64_t>(_mm_cvtsi128_si64(x));
    const uint64_t hi = static_cast<uint64_t>(_mm_extract_epi64(x, 1));
    return static_cast<uint32_t>(_mm_crc32_u64(_mm_crc32_u64(0, lo), hi));
  } else {
    // The first step: the low qword folded 64 bits onto the high one.
    const __m128i k96 = _mm_set_epi64x(0x00ccaa009e, 0);
    return Reduce96Crc32(_mm_xor_si128(_mm_srli_si128(x, 8), _mm_clmulepi64_si128(x, k96, 0x10)));
  }
}

// An input too short to fold: CRC-32 by the table engine, CRC-32C by the
// crc32 instruction. (The bytes a fold leaves go through ReduceWithTail.)
template <Kind kind>
uint32_t ShortRaw(uint32_t reg, const uint8_t* p, size_t n) {
  if constexpr (kind == Kind::kCrc32c) {
    return Crc32cAny(reg, p, n);
  } else {
    return n == 0 ? reg : SliceBy8Raw(kind, reg, p, n);
  }
}

// pshufb indices: the 16 bytes from kShift + 16 + t move a vector's bytes t
// places down, those from kShift + t move them 16 - t places up (0x80: a
// zero byte).
alignas(16) inline constexpr uint8_t kShift[48] = {
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0,    1,    2,    3,    4,    5,    6,    7,    8,    9,    10,   11,   12,   13,   14,   15,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};

// x with the last t (1-15) bytes of the input appended, ending at `end`,
// at least 16 bytes after the input's start: the last block read whole,
// overlapping what x holds, and x split around it. Folding a tail so, in
// place of the table engine after the reduction: 79 B had taken 32.9
// against 13.4 TSC ticks for 64 B, where libdeflate took 15.0 (Xeon,
// family 6 model 207).
inline __m128i FoldTail(__m128i x, const uint8_t* end, size_t t) {
  const __m128i up = Load128(kShift + t);
  const __m128i down = Load128(kShift + 16 + t);
  // The input as 16 - t zero bytes, x and the tail, in two blocks: x's
  // first t bytes end the first one; its others and the tail, the second.
  const __m128i first = _mm_shuffle_epi8(x, up);
  const __m128i second = _mm_blendv_epi8(_mm_shuffle_epi8(x, down), Load128(end - 16), down);
  return _mm_xor_si128(Fold128(first, LoadConstant(kFoldCrc32.d128)), second);
}

// The same at the other end: what to xor into the 16 bytes after the first
// t (1-15) of an input of 16 bytes or more, in place of the register, so
// that the rest is whole blocks. The input as 16 - t zero bytes before it,
// in blocks: the first ends with its first t bytes (and the register).
inline __m128i FoldHead(uint32_t reg, const uint8_t* p, size_t t) {
  const __m128i r = _mm_cvtsi32_si128(static_cast<int>(reg));
  const __m128i first = _mm_shuffle_epi8(_mm_xor_si128(Load128(p), r), Load128(kShift + t));
  return _mm_xor_si128(Fold128(first, LoadConstant(kFoldCrc32.d128)),
                       _mm_shuffle_epi8(r, Load128(kShift + 16 + t)));
}

// The register from x and the n (0-15) bytes from p that end the input,
// 16 bytes before p belonging to it: CRC-32 folds them into x, CRC-32C
// takes them with the crc32 instruction.
template <Kind kind>
uint32_t ReduceWithTail(__m128i x, const uint8_t* p, size_t n) {
  if constexpr (kind == Kind::kCrc32c) {
    return Crc32cAny(Reduce128<kind>(x), p, n);
  } else {
    return Reduce128<kind>(n == 0 ? x : FoldTail(x, p + n, n));
  }
}

// CRC-32 below 64 bytes: one accumulator from 16 bytes (the table would
// take 8 lookups a word). Always inline: as a call from the AVX-512 entry
// point, 16 B took 3.97 against 3.29 ns inlined (Zen 4).
[[gnu::always_inline]] inline uint32_t Below64Crc32Raw(uint32_t reg, const uint8_t* p, size_t n) {
  if (n < 16) return ShortRaw<Kind::kCrc32>(reg, p, n);
  const __m128i k128 = LoadConstant(kFoldCrc32.d128);
  __m128i x = _mm_xor_si128(Load128(p), _mm_cvtsi32_si128(static_cast<int>(reg)));
  for (p += 16, n -= 16; n >= 16; p += 16, n -= 16) {
    x = _mm_xor_si128(Fold128(x, k128), Load128(p));
  }
  return ReduceWithTail<Kind::kCrc32>(x, p, n);
}

// Four 128-bit accumulators folded 64 bytes at a time.
template <Kind kind>
uint32_t Fold128Raw(uint32_t reg, const uint8_t* p, size_t n) {
  if (kind == Kind::kCrc32 && n < 64) return Below64Crc32Raw(reg, p, n);
  if (n < 64) return ShortRaw<kind>(reg, p, n);
  const FoldConstants& k = GetFoldConstants(kind);
  __m128i x0 = _mm_xor_si128(Load128(p), _mm_cvtsi32_si128(static_cast<int>(reg)));
  __m128i x1 = Load128(p + 16);
  __m128i x2 = Load128(p + 32);
  __m128i x3 = Load128(p + 48);
  p += 64;
  n -= 64;
  const __m128i k512 = LoadConstant(k.d512);
  for (; n >= 64; p += 64, n -= 64) {
    x0 = _mm_xor_si128(Fold128(x0, k512), Load128(p));
    x1 = _mm_xor_si128(Fold128(x1, k512), Load128(p + 16));
    x2 = _mm_xor_si128(Fold128(x2, k512), Load128(p + 32));
    x3 = _mm_xor_si128(Fold128(x3, k512), Load128(p + 48));
  }
  __m128i x = _mm_xor_si128(
      _mm_xor_si128(Fold128(x0, LoadConstant(k.d384)), Fold128(x1, LoadConstant(k.d256))),
      _mm_xor_si128(Fold128(x2, LoadConstant(k.d128)), x3));
  const __m128i k128 = LoadConstant(k.d128);
  for (; n >= 16; p += 16, n -= 16) {
    x = _mm_xor_si128(Fold128(x, k128), Load128(p));
  }
  return ReduceWithTail<kind>(x, p, n);
}

// What the wide engines do below their first 256-byte block, where their
// accumulators would not even be filled once: the 128-bit folds (CRC-32) or
// the crc32 instruction (CRC-32C), inline rather than a call through the
// narrower engines.
constexpr size_t kWideFoldsFrom = 256;
template <Kind kind>
uint32_t BelowWideFoldsRaw(uint32_t reg, const uint8_t* p, size_t n) {
  if constexpr (kind == Kind::kCrc32c) {
    return Crc32cAny(reg, p, n);
  } else {
    return Fold128Raw<kind>(reg, p, n);
  }
}

// The CRC-32C hybrid: each chunk is [fold region][stream 0][stream 1]
// [stream 2]; per step, Folds (accumulators with Start, Step and Finish
// over Folds::kBytes bytes) takes the next block of the fold region while
// three crc32 streams take kQwords words each, and the four CRCs are merged
// by shifts. The carry-less multiplies and the crc32 instruction run on
// different units, so the two rates add up. `Rest` takes what is left.
template <typename Folds, size_t kQwords, uint32_t (*Rest)(uint32_t, const uint8_t*, size_t)>
uint32_t HybridRaw(uint32_t reg, const uint8_t* p, size_t size) {
  constexpr size_t kStride = Folds::kBytes + 3 * 8 * kQwords;
  constexpr size_t kMaxSteps = kMaxShiftQwords / (3 * kQwords);
  const uint32_t* shift = Crc32cShiftTable();
  while (size >= 2 * kStride) {
    const size_t steps = std::min(size / kStride, kMaxSteps);
    const size_t w = kQwords * steps;
    const uint8_t* s0 = p + Folds::kBytes * steps;
    const uint8_t* s1 = s0 + 8 * w;
    const uint8_t* s2 = s1 + 8 * w;
    uint64_t c0 = 0, c1 = 0, c2 = 0;
    Folds folds;
    folds.Start(p, reg);
    for (size_t i = 0;; ++i) {
      for (size_t j = 0; j < 8 * kQwords; j += 8) {
        c0 = _mm_crc32_u64(c0, Load64(s0 + j));
        c1 = _mm_crc32_u64(c1, Load64(s1 + j));
        c2 = _mm_crc32_u64(c2, Load64(s2 + j));
      }
      s0 += 8 * kQwords;
      s1 += 8 * kQwords;
      s2 += 8 * kQwords;
      if (i + 1 == steps) break;
      folds.Step(p + Folds::kBytes * (i + 1));
    }
    reg = Crc32cShift(folds.Finish(), shift[3 * w]) ^
          Crc32cShift(static_cast<uint32_t>(c0), shift[2 * w]) ^
          Crc32cShift(static_cast<uint32_t>(c1), shift[w]) ^ static_cast<uint32_t>(c2);
    p += kStride * steps;
    size -= kStride * steps;
  }
  return Rest(reg, p, size);
}

}  // namespace
}  // namespace perfkit::crc32::internal
