// 128-bit PCLMULQDQ folding for both polynomials (Intel's "Fast CRC computation
// for generic polynomials", constants derived in crc32_table.cc).
#include "subsystems/crc32/crc32_x86.h"

namespace perfkit::crc32::internal {

uint32_t Crc32Pclmul(uint32_t crc, const void* data, size_t size) {
  return ~Fold128Raw<Kind::kCrc32>(~crc, static_cast<const uint8_t*>(data), size);
}

uint32_t Crc32cPclmul(uint32_t crc, const void* data, size_t size) {
  return ~Fold128Raw<Kind::kCrc32c>(~crc, static_cast<const uint8_t*>(data), size);
}

}  // namespace perfkit::crc32::internal
