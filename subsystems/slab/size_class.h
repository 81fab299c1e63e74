// The slab's size classes: powers of two from 16 to 512 B.
#pragma once

#include <bit>
#include <cstddef>

namespace perfkit::slab {

inline constexpr int kNumClasses = 6;
inline constexpr size_t kMaxSmallBytes = 512;
inline constexpr size_t kMinClassShift = 4;

constexpr size_t ClassBytes(int size_class) { return size_t{16} << size_class; }

// For 1..512 B (0 is treated as 1): 16 -> 0, 17..32 -> 1, ..., 257..512 -> 5.
constexpr int SizeClassOf(size_t bytes) {
  bytes += (bytes == 0);
  return std::bit_width((bytes - 1) | 15) - static_cast<int>(kMinClassShift);
}

}  // namespace perfkit::slab
