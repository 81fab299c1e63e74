// The portable engine (slicing-by-8) and the polynomial arithmetic every other
// engine derives its constants from.
#include <array>
#include <cstring>

#include "subsystems/crc32/crc32_internal.h"

namespace perfkit::crc32::internal {
namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables(uint32_t poly) {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    t[0][i] = c;
  }
  for (int s = 1; s < 8; ++s) {
    for (uint32_t i = 0; i < 256; ++i) {
      t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
  return t;
}

constexpr Tables kTablesCrc32 = MakeTables(kPolyCrc32);
constexpr Tables kTablesCrc32c = MakeTables(kPolyCrc32c);

uint32_t SliceBy8(const Tables& t, uint32_t reg, const uint8_t* p, size_t n) {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    reg = t[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
    --n;
  }
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    v ^= reg;
    reg = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
  }
  while (n-- > 0) reg = t[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
  return reg;
}

}  // namespace

uint32_t SliceBy8Raw(Kind kind, uint32_t reg, const uint8_t* p, size_t n) {
  return SliceBy8(kind == Kind::kCrc32 ? kTablesCrc32 : kTablesCrc32c, reg, p, n);
}

const uint32_t* Crc32cShiftTable() {
  static const auto table = [] {
    std::array<uint32_t, kMaxShiftQwords + 1> t{};
    const uint32_t x64 = XPowModP(64, kPolyCrc32c);
    t[1] = XPowModP(64 - 33, kPolyCrc32c);
    for (size_t q = 2; q <= kMaxShiftQwords; ++q) {
      t[q] = MulModP(t[q - 1], x64, kPolyCrc32c);
    }
    return t;
  }();
  return table.data();
}

uint32_t Crc32Slice8(uint32_t crc, const void* data, size_t size) {
  return ~SliceBy8(kTablesCrc32, ~crc, static_cast<const uint8_t*>(data), size);
}

uint32_t Crc32cSlice8(uint32_t crc, const void* data, size_t size) {
  return ~SliceBy8(kTablesCrc32c, ~crc, static_cast<const uint8_t*>(data), size);
}

}  // namespace perfkit::crc32::internal
