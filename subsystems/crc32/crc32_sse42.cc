// CRC-32C with the SSE4.2 crc32 instruction: latency 3, throughput 1 per cycle,
// so three independent streams keep the unit busy; the streams are merged by
// carry-less multiplication with x^(64q) (crc32_x86.h).
#include <algorithm>

#include "subsystems/crc32/crc32_x86.h"

namespace perfkit::crc32::internal {
namespace {

// Below this many bytes per stream the merge costs more than it saves.
constexpr size_t kMinStreamQwords = 8;

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

uint32_t Crc32cShift(uint32_t reg, uint32_t k) {
  const __m128i product =
      _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(reg)),
                           _mm_cvtsi32_si128(static_cast<int>(k)), 0x00);
  return static_cast<uint32_t>(
      _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(product))));
}

uint32_t Crc32cSse42Raw(uint32_t reg, const uint8_t* p, size_t n) {
  for (; n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0; --n) {
    reg = _mm_crc32_u8(reg, *p++);
  }
  const uint32_t* shift = Crc32cShiftTable();
  while (n >= 3 * 8 * kMinStreamQwords) {
    const size_t q = std::min(n / 24, kMaxShiftQwords);
    const uint8_t* p1 = p + 8 * q;
    const uint8_t* p2 = p1 + 8 * q;
    uint64_t c0 = reg, c1 = 0, c2 = 0;
    for (size_t i = 0; i < 8 * q; i += 8) {
      c0 = _mm_crc32_u64(c0, Load64(p + i));
      c1 = _mm_crc32_u64(c1, Load64(p1 + i));
      c2 = _mm_crc32_u64(c2, Load64(p2 + i));
    }
    reg = Crc32cShift(static_cast<uint32_t>(c0), shift[q]) ^
          static_cast<uint32_t>(c1);
    reg = Crc32cShift(reg, shift[q]) ^ static_cast<uint32_t>(c2);
    p += 24 * q;
    n -= 24 * q;
  }
  for (; n >= 8; p += 8, n -= 8) {
    reg = static_cast<uint32_t>(_mm_crc32_u64(reg, Load64(p)));
  }
  for (; n > 0; --n) reg = _mm_crc32_u8(reg, *p++);
  return reg;
}

uint32_t Crc32cSse42(uint32_t crc, const void* data, size_t size) {
  return ~Crc32cSse42Raw(~crc, static_cast<const uint8_t*>(data), size);
}

}  // namespace perfkit::crc32::internal
