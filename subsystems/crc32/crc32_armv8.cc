// ARMv8 CRC32 instructions (both polynomials exist in hardware there). Built
// only on aarch64; not exercised on the project's x86-64 machines.
#include <arm_acle.h>

#include <cstring>

#include "subsystems/crc32/crc32_internal.h"

namespace perfkit::crc32::internal {
namespace {

template <bool kCastagnoli>
uint32_t Armv8Raw(uint32_t reg, const uint8_t* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    reg = kCastagnoli ? __crc32cd(reg, v) : __crc32d(reg, v);
  }
  for (; n > 0; --n, ++p) reg = kCastagnoli ? __crc32cb(reg, *p) : __crc32b(reg, *p);
  return reg;
}

}  // namespace

uint32_t Crc32Armv8(uint32_t crc, const void* data, size_t size) {
  return ~Armv8Raw<false>(~crc, static_cast<const uint8_t*>(data), size);
}

uint32_t Crc32cArmv8(uint32_t crc, const void* data, size_t size) {
  return ~Armv8Raw<true>(~crc, static_cast<const uint8_t*>(data), size);
}

}  // namespace perfkit::crc32::internal
