// 256-bit VPCLMULQDQ folding for both polynomials, and the CRC-32C "hybrid"
// engine that runs the folding and the crc32 instruction on different slices
// of the buffer at once: they use different execution ports on Zen 3, so the
// two rates add up.
#include "subsystems/crc32/crc32_x86.h"

namespace perfkit::crc32::internal {
namespace {

__m256i Load256(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

__m256i Broadcast(const Fold& f) { return _mm256_broadcastsi128_si256(LoadConstant(f)); }

__m256i Fold256(__m256i y, __m256i k) {
  return _mm256_xor_si256(_mm256_clmulepi64_epi128(y, k, 0x00),
                          _mm256_clmulepi64_epi128(y, k, 0x11));
}

// Four 256-bit accumulators covering 128 consecutive bytes.
struct Accumulators {
  __m256i y0, y1, y2, y3;

  void Start(const uint8_t* p, uint32_t reg) {
    y0 = _mm256_xor_si256(Load256(p),
                          _mm256_zextsi128_si256(_mm_cvtsi32_si128(static_cast<int>(reg))));
    y1 = Load256(p + 32);
    y2 = Load256(p + 64);
    y3 = Load256(p + 96);
  }
  void Step(const uint8_t* p, __m256i k1024) {
    y0 = _mm256_xor_si256(Fold256(y0, k1024), Load256(p));
    y1 = _mm256_xor_si256(Fold256(y1, k1024), Load256(p + 32));
    y2 = _mm256_xor_si256(Fold256(y2, k1024), Load256(p + 64));
    y3 = _mm256_xor_si256(Fold256(y3, k1024), Load256(p + 96));
  }
  // Everything folded into the last 256 bits.
  __m256i Merge(const FoldConstants& k) const {
    return _mm256_xor_si256(
        _mm256_xor_si256(Fold256(y0, Broadcast(k.d768)), Fold256(y1, Broadcast(k.d512))),
        _mm256_xor_si256(Fold256(y2, Broadcast(k.d256)), y3));
  }
};

__m128i Narrow(__m256i y, const FoldConstants& k) {
  return _mm_xor_si128(Fold128(_mm256_castsi256_si128(y), LoadConstant(k.d128)),
                       _mm256_extracti128_si256(y, 1));
}

// From 256 B, out of line: its ymm spills realign the stack, which the
// short inputs the entry points keep for themselves should not pay for.
template <Kind kind>
[[gnu::noinline]] uint32_t Fold256Raw(uint32_t reg, const uint8_t* p, size_t n) {
  const FoldConstants& k = GetFoldConstants(kind);
  Accumulators acc;
  acc.Start(p, reg);
  p += 128;
  n -= 128;
  const __m256i k1024 = Broadcast(k.d1024);
  for (; n >= 128; p += 128, n -= 128) acc.Step(p, k1024);
  __m256i y = acc.Merge(k);
  const __m256i k256 = Broadcast(k.d256);
  for (; n >= 32; p += 32, n -= 32) {
    y = _mm256_xor_si256(Fold256(y, k256), Load256(p));
  }
  __m128i x = Narrow(y, k);
  const __m128i k128 = LoadConstant(k.d128);
  for (; n >= 16; p += 16, n -= 16) {
    x = _mm_xor_si128(Fold128(x, k128), Load128(p));
  }
  return ReduceWithTail<kind>(x, p, n);
}

// The multipliers for the two lanes of a ymm followed by `lanes_after`
// more before the input's end.
__m256i LaneConstants(size_t lanes_after) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&kFoldCrc32.lanes[14 - lanes_after]));
}

struct HybridFolds {
  static constexpr size_t kBytes = 128;
  Accumulators acc;
  __m256i k1024 = Broadcast(kFoldCrc32c.d1024);

  void Start(const uint8_t* p, uint32_t reg) { acc.Start(p, reg); }
  void Step(const uint8_t* p) { acc.Step(p, k1024); }
  uint32_t Finish() const {
    return Reduce128<Kind::kCrc32c>(Narrow(acc.Merge(kFoldCrc32c), kFoldCrc32c));
  }
};

// 6 words per stream and step balance the two units on Zen 3.
constexpr auto HybridC = HybridRaw<HybridFolds, 6, Crc32cAny>;

}  // namespace

// CRC-32 from 64 to 255 B: bytes past whole 16-byte blocks folded in
// first, two ymm accumulators 64 bytes a step, then their four lanes and
// the blocks left go straight to the reduction's second step in one round
// of multiplies. Against narrowing the lanes and folding the blocks left
// one by one: 80-112 B 1.3-1.5x sooner for chained calls, level for
// overlapping ones; 100 B 1.23x faster than folding its last 4 bytes in at
// the end (1.42x chained; Xeon, family 6 model 207). (64 B: 6.3 ns through
// four xmm accumulators, narrowed and reduced.)
[[gnu::noinline]] uint32_t Crc32TwoYmmRaw(uint32_t reg, const uint8_t* p, size_t n) {
  __m128i first = _mm_cvtsi32_si128(static_cast<int>(reg));
  if (const size_t t = n % 16; t != 0) {
    first = FoldHead(reg, p, t);
    p += t;
    n -= t;
  }
  __m256i y0 = _mm256_xor_si256(Load256(p), _mm256_zextsi128_si256(first));
  __m256i y1 = Load256(p + 32);
  const __m256i k512 = Broadcast(kFoldCrc32.d512);
  for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
    y0 = _mm256_xor_si256(Fold256(y0, k512), Load256(p));
    y1 = _mm256_xor_si256(Fold256(y1, k512), Load256(p + 32));
  }
  __m256i y;
  if (n == 0) {  // the multipliers' addresses fixed: indexed, 64 B took 1.5x the time
    y = _mm256_xor_si256(Fold256(y0, LaneConstants(2)), Fold256(y1, LaneConstants(0)));
  } else {
    const size_t blocks = n / 16;
    y = _mm256_xor_si256(Fold256(y0, LaneConstants(blocks + 2)),
                         Fold256(y1, LaneConstants(blocks)));
    if (blocks >= 2) {
      y = _mm256_xor_si256(y, Fold256(Load256(p), LaneConstants(blocks - 2)));
      p += 32;
    }
  }
  __m128i x = _mm_xor_si128(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
  if (n & 16) x = _mm_xor_si128(x, Fold128(Load128(p), LoadConstant(kFoldCrc32.lanes[15])));
  return Reduce96Crc32(x);
}

template <Kind kind>
uint32_t Vpclmul(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (size < kWideFoldsFrom) {
    if (kind == Kind::kCrc32 && size >= 64) return ~Crc32TwoYmmRaw(~crc, p, size);
    return ~BelowWideFoldsRaw<kind>(~crc, p, size);
  }
  return ~Fold256Raw<kind>(~crc, p, size);
}

uint32_t Crc32Vpclmul(uint32_t crc, const void* data, size_t size) {
  return Vpclmul<Kind::kCrc32>(crc, data, size);
}

uint32_t Crc32cVpclmul(uint32_t crc, const void* data, size_t size) {
  return Vpclmul<Kind::kCrc32c>(crc, data, size);
}

namespace {

// Below this the 256-bit folds alone beat folds beside crc32 streams on the
// CPUs this engine is picked on (AVX2 with VPCLMULQDQ, no AVX-512: Zen 3):
// 1 KiB took 42-46 ns folded against 47-49 ns hybrid, the two tie at
// 1.25 KiB, and the hybrid wins by 5-8% at 1.5 KiB and 14% at 2 KiB. With
// the crc32 instruction below 544 B, the hybrid had been 1.41x slower than
// the folds at 256 B and 1.48x at 16 B (its set-up ran before its size test).
constexpr size_t kHybridFrom = 1536;

// Out of line, so that the registers its loop needs are saved only here,
// not on the way to the short paths.
[[gnu::noinline]] uint32_t HybridLong(uint32_t crc, const void* data, size_t size) {
  return ~HybridC(~crc, static_cast<const uint8_t*>(data), size);
}

}  // namespace

uint32_t Crc32cHybrid(uint32_t crc, const void* data, size_t size) {
  if (size < kHybridFrom) return Vpclmul<Kind::kCrc32c>(crc, data, size);
  return HybridLong(crc, data, size);
}

}  // namespace perfkit::crc32::internal
