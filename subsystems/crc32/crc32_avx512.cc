// 512-bit VPCLMULQDQ folding for both polynomials: four zmm accumulators,
// 256 bytes per iteration, each fold's two products and the new data merged
// by one vpternlogq. On a core with one carry-less multiply unit the rate is
// set by the multiplies: twice the 256-bit engine's per instruction. For
// CRC-32C in cache, the crc32 instruction works on other slices of the
// buffer at the same time (the hybrid), and the two rates add up.
#include "subsystems/crc32/crc32_x86.h"

namespace perfkit::crc32::internal {
namespace {

__m512i Load512(const uint8_t* p) { return _mm512_loadu_si512(p); }

// The zero-masking form: GCC 12's unmasked one passes an undefined vector
// and then warns about it (-Wuninitialized); both give one vbroadcasti32x4.
__m512i Broadcast(const Fold& f) { return _mm512_maskz_broadcast_i32x4(0xFFFF, LoadConstant(f)); }

// z * x^D + data, the three terms xor-ed in one instruction.
__m512i FoldIn(__m512i z, __m512i k, __m512i data) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(z, k, 0x00),
                                   _mm512_clmulepi64_epi128(z, k, 0x11), data, 0x96);
}

// The four 128-bit lanes of z folded into its last one.
__m128i Narrow(__m512i z, const FoldConstants& k) {
  const __m128i l0 = _mm512_extracti32x4_epi32(z, 0), l1 = _mm512_extracti32x4_epi32(z, 1);
  const __m128i l2 = _mm512_extracti32x4_epi32(z, 2), l3 = _mm512_extracti32x4_epi32(z, 3);
  return _mm_ternarylogic_epi64(Fold128(l0, LoadConstant(k.d384)),
                                Fold128(l1, LoadConstant(k.d256)),
                                _mm_xor_si128(Fold128(l2, LoadConstant(k.d128)), l3), 0x96);
}

// Four zmm accumulators over 256 consecutive bytes.
struct Accumulators {
  __m512i z0, z1, z2, z3;

  void Start(const uint8_t* p, uint32_t reg) {
    z0 = _mm512_xor_si512(Load512(p),
                          _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(reg))));
    z1 = Load512(p + 64);
    z2 = Load512(p + 128);
    z3 = Load512(p + 192);
  }
  void Step(const uint8_t* p, __m512i k2048) {
    z0 = FoldIn(z0, k2048, Load512(p));
    z1 = FoldIn(z1, k2048, Load512(p + 64));
    z2 = FoldIn(z2, k2048, Load512(p + 128));
    z3 = FoldIn(z3, k2048, Load512(p + 192));
  }
  // Everything into the last 512 bits: z0 is 192 bytes behind z3.
  __m512i Merge(const FoldConstants& k) const {
    return FoldIn(z0, Broadcast(k.d1536),
                  FoldIn(z1, Broadcast(k.d1024), FoldIn(z2, Broadcast(k.d512), z3)));
  }
};

// The multipliers for the four lanes of a zmm `row` zmm before the last.
__m512i LaneConstants(int row) { return _mm512_loadu_si512(&kFoldCrc32.lanes[12 - 4 * row]); }

__m128i XorLanes(__m512i t) {
  const __m256i h = _mm256_xor_si256(_mm512_castsi512_si256(t), _mm512_extracti64x4_epi64(t, 1));
  return _mm_xor_si128(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// From one accumulator z, the input's last bytes p[0..n) still to come.
// For CRC-32 with nothing left, z's four lanes go straight to the
// reduction's second step: one round of multiplies where narrowing and the
// first step took two (64 B: 4.4 against 6.8 ns on Zen 4). Inline: out of
// line, a function that takes a vector returns without vzeroupper, and the
// tail call to it left the upper halves dirty for the entry point's caller.
template <Kind kind>
[[gnu::always_inline]] inline uint32_t FinishRaw(__m512i z, const uint8_t* p, size_t n) {
  const FoldConstants& k = GetFoldConstants(kind);
  const __m512i k512 = Broadcast(k.d512);
  for (; n >= 64; p += 64, n -= 64) z = FoldIn(z, k512, Load512(p));
  if (kind == Kind::kCrc32 && n == 0) {
    return Reduce96Crc32(XorLanes(FoldIn(z, LaneConstants(0), _mm512_setzero_si512())));
  }
  __m128i x = Narrow(z, k);
  const __m128i k128 = LoadConstant(k.d128);
  for (; n >= 16; p += 16, n -= 16) x = _mm_xor_si128(Fold128(x, k128), Load128(p));
  return ReduceWithTail<kind>(x, p, n);
}

// The same for all four accumulators' sixteen lanes (256 B: 8.2 against
// 11.0 ns).
uint32_t FinishCrc32(const Accumulators& acc) {
  const __m512i k1 = LaneConstants(2);
  const __m512i a = FoldIn(acc.z0, LaneConstants(3), _mm512_clmulepi64_epi128(acc.z1, k1, 0x00));
  const __m512i b = FoldIn(acc.z2, LaneConstants(1), _mm512_clmulepi64_epi128(acc.z1, k1, 0x11));
  const __m512i c = FoldIn(acc.z3, LaneConstants(0), _mm512_setzero_si512());
  return Reduce96Crc32(XorLanes(_mm512_ternarylogic_epi64(a, b, c, 0x96)));
}

// The folds take 256 B every eight cycles where the multiplies run one a
// cycle; from the L2 the hardware prefetchers kept up with three quarters
// of that: 78% of the multiply bound at 64 KiB-1 MiB, and 97-99.7% with
// the lines 2 KiB ahead asked for (1 KiB: 93-95%, 3 KiB: 96-99.7%; data
// hot in the L1 unchanged; a Xeon, family 6 model 207, 48 KiB L1d).
constexpr size_t kPrefetchAhead = 2048;
void Prefetch(const uint8_t* p) {
  for (int line = 0; line < 4; ++line) {
    _mm_prefetch(reinterpret_cast<const char*>(p + 64 * line), _MM_HINT_T0);
  }
}

// Out of line: its zmm spills realign the stack, and the short inputs the
// entry points keep for themselves should not pay for that (CRC-32C at
// 16 B: 2.5-3.0 against 3.6-4.1 ns on Zen 4).
template <Kind kind>
[[gnu::noinline]] uint32_t Fold512Raw(uint32_t reg, const uint8_t* p, size_t n) {
  if (n < kWideFoldsFrom) {
    // CRC-32 from 64 B in one accumulator; below, the narrower paths.
    if (kind == Kind::kCrc32 && n >= 64) {
      const __m512i first = _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(reg)));
      return FinishRaw<kind>(_mm512_xor_si512(Load512(p), first), p + 64, n - 64);
    }
    return BelowWideFoldsRaw<kind>(reg, p, n);
  }
  const FoldConstants& k = GetFoldConstants(kind);
  Accumulators acc;
  acc.Start(p, reg);
  p += 256;
  n -= 256;
  const __m512i k2048 = Broadcast(k.d2048);
  for (; n >= 256; p += 256, n -= 256) {
    Prefetch(p + kPrefetchAhead);
    acc.Step(p, k2048);
  }
  if (kind == Kind::kCrc32 && n == 0) return FinishCrc32(acc);
  return FinishRaw<kind>(acc.Merge(k), p, n);
}

// CRC-32C's folds for the hybrid.
struct HybridFolds {
  static constexpr size_t kBytes = 256;
  Accumulators acc;
  __m512i k2048 = Broadcast(kFoldCrc32c.d2048);

  void Start(const uint8_t* p, uint32_t reg) { acc.Start(p, reg); }
  void Step(const uint8_t* p) { acc.Step(p, k2048); }
  uint32_t Finish() const {
    return Reduce128<Kind::kCrc32c>(Narrow(acc.Merge(kFoldCrc32c), kFoldCrc32c));
  }
};

// 4 words per stream and step: 70 GB/s on Zen 4 against 58 for the folds
// alone (3: 70, 5: 67, 8: 61).
constexpr auto HybridC = HybridRaw<HybridFolds, 4, Fold512Raw<Kind::kCrc32c>>;

}  // namespace

uint32_t Crc32Avx512(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (size < 64) return ~Below64Crc32Raw(~crc, p, size);
  if (size < g_crc32_two_ymm_below) return ~Crc32TwoYmmRaw(~crc, p, size);
  return ~Fold512Raw<Kind::kCrc32>(~crc, p, size);
}

uint32_t Crc32cAvx512(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  // The short path falls through, as in the vpclmul engine, whose code for
  // it is the same: placed after the wide paths, 64 B took 1.22-1.28x
  // vpclmul's time, now 1.02-1.06x (Xeon, family 6 model 207).
  if (size < kWideFoldsFrom) [[likely]]
    return ~Crc32cAny(~crc, p, size);
  if (InHybridBand(size)) return ~HybridC(~crc, p, size);
  return ~Fold512Raw<Kind::kCrc32c>(~crc, p, size);
}

}  // namespace perfkit::crc32::internal
