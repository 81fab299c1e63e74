// 512-bit VPCLMULQDQ folding for both polynomials: four zmm accumulators,
// 256 bytes per iteration, each fold's two products and the new data merged
// by one vpternlogq. On a core with one carry-less multiply unit the rate is
// set by the multiplies: twice the 256-bit engine's per instruction.
#include "subsystems/crc32/crc32_x86.h"

namespace perfkit::crc32::internal {
namespace {

__m512i Load512(const uint8_t* p) { return _mm512_loadu_si512(p); }

__m512i Broadcast(const Fold& f) { return _mm512_broadcast_i32x4(LoadConstant(f)); }

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

template <Kind kind>
uint32_t Fold512Raw(uint32_t reg, const uint8_t* p, size_t n) {
  if (n < kWideFoldsFrom) return BelowWideFoldsRaw<kind>(reg, p, n);
  const FoldConstants& k = GetFoldConstants(kind);
  __m512i z0 = _mm512_xor_si512(Load512(p),
                                _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(reg))));
  __m512i z1 = Load512(p + 64), z2 = Load512(p + 128), z3 = Load512(p + 192);
  p += 256;
  n -= 256;
  const __m512i k2048 = Broadcast(k.d2048);
  for (; n >= 256; p += 256, n -= 256) {
    z0 = FoldIn(z0, k2048, Load512(p));
    z1 = FoldIn(z1, k2048, Load512(p + 64));
    z2 = FoldIn(z2, k2048, Load512(p + 128));
    z3 = FoldIn(z3, k2048, Load512(p + 192));
  }
  // Everything into the last 512 bits: z0 is 192 bytes behind z3.
  __m512i z = FoldIn(z0, Broadcast(k.d1536),
                     FoldIn(z1, Broadcast(k.d1024), FoldIn(z2, Broadcast(k.d512), z3)));
  const __m512i k512 = Broadcast(k.d512);
  for (; n >= 64; p += 64, n -= 64) z = FoldIn(z, k512, Load512(p));
  __m128i x = Narrow(z, k);
  const __m128i k128 = LoadConstant(k.d128);
  for (; n >= 16; p += 16, n -= 16) x = _mm_xor_si128(Fold128(x, k128), Load128(p));
  return TailRaw<kind>(Reduce128<kind>(x), p, n);
}

}  // namespace

uint32_t Crc32Avx512(uint32_t crc, const void* data, size_t size) {
  return ~Fold512Raw<Kind::kCrc32>(~crc, static_cast<const uint8_t*>(data), size);
}

uint32_t Crc32cAvx512(uint32_t crc, const void* data, size_t size) {
  return ~Fold512Raw<Kind::kCrc32c>(~crc, static_cast<const uint8_t*>(data), size);
}

}  // namespace perfkit::crc32::internal
