// CRC-32C with the SSE4.2 crc32 instruction: latency 3, throughput 1 per cycle,
// so three independent streams keep the unit busy; the streams are merged by
// carry-less multiplication with x^(64q) (crc32_x86.h).
#include <algorithm>

#include "subsystems/crc32/crc32_x86.h"

namespace perfkit::crc32::internal {
namespace {

uint32_t Streams(uint32_t reg, const uint8_t* p, size_t n) {
  const uint32_t* shift = Crc32cShiftTable();
  while (n >= 3 * 8 * kMinStreamQwords) {
    const size_t q = std::min(n / 24, kMaxShiftQwords / 3);
    // The last stream also takes the words left over, so no serial tail
    // follows the last chunk; only its length enters the shifts.
    const size_t q2 = q == n / 24 ? n / 8 - 2 * q : q;
    const uint8_t* p1 = p + 8 * q;
    const uint8_t* p2 = p1 + 8 * q;
    uint64_t c0 = reg, c1 = 0, c2 = 0;
    // The joint loops stop one word short; stream 2's last word is consumed
    // by the merge below.
    const size_t body = 8 * (q - 1);
    size_t i = 0;
    for (; i + 32 <= body; i += 32) {
      for (size_t k = i; k < i + 32; k += 8) {
        c0 = _mm_crc32_u64(c0, Load64(p + k));
        c1 = _mm_crc32_u64(c1, Load64(p1 + k));
        c2 = _mm_crc32_u64(c2, Load64(p2 + k));
      }
    }
    for (; i < body; i += 8) {
      c0 = _mm_crc32_u64(c0, Load64(p + i));
      c1 = _mm_crc32_u64(c1, Load64(p1 + i));
      c2 = _mm_crc32_u64(c2, Load64(p2 + i));
    }
    c0 = _mm_crc32_u64(c0, Load64(p + body));
    c1 = _mm_crc32_u64(c1, Load64(p1 + body));
    for (; i + 8 < 8 * q2; i += 8) c2 = _mm_crc32_u64(c2, Load64(p2 + i));
    // crc32q(c, w) = c*x^64 + w*x^32 is linear in w, so the shifted products
    // of streams 0 and 1 ride along with the last word of stream 2: one
    // reduction for all three, off the critical path but for an xor.
    const uint64_t last = Load64(p2 + i) ^
                          Crc32cShiftProduct(static_cast<uint32_t>(c0), shift[q + q2]) ^
                          Crc32cShiftProduct(static_cast<uint32_t>(c1), shift[q2]);
    reg = static_cast<uint32_t>(_mm_crc32_u64(c2, last));
    p += 8 * (2 * q + q2);
    n -= 8 * (2 * q + q2);
  }
  return Serial(reg, p, n);
}

}  // namespace

uint64_t Crc32cShiftProduct(uint32_t reg, uint32_t k) {
  const __m128i product = _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(reg)),
                                               _mm_cvtsi32_si128(static_cast<int>(k)), 0x00);
  return static_cast<uint64_t>(_mm_cvtsi128_si64(product));
}

uint32_t Crc32cShift(uint32_t reg, uint32_t k) {
  return static_cast<uint32_t>(_mm_crc32_u64(0, Crc32cShiftProduct(reg, k)));
}

uint32_t Crc32cSse42Raw(uint32_t reg, const uint8_t* p, size_t n) {
  // Short inputs skip alignment: unaligned loads are nearly free on the
  // cores this engine runs on, and the byte loop would cost 3 cycles a byte.
  if (n < kCrc32cStreamsFrom) return Serial(reg, p, n);
  const size_t misalign = (8 - (reinterpret_cast<uintptr_t>(p) & 7)) & 7;
  reg = Tail(reg, p, misalign);
  return Streams(reg, p + misalign, n - misalign);
}

uint32_t Crc32cSse42(uint32_t crc, const void* data, size_t size) {
  return ~Crc32cSse42Raw(~crc, static_cast<const uint8_t*>(data), size);
}

uint32_t Crc32cSse42Serial(uint32_t crc, const void* data, size_t size) {
  return ~Serial(~crc, static_cast<const uint8_t*>(data), size);
}

}  // namespace perfkit::crc32::internal
