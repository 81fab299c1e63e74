// Fixed-size copies for the sizes hot code copies most (1-64 bytes). With the
// size known at compile time they inline to one or a few moves: no call, no
// size dispatch.
#pragma once

#include <cstddef>

namespace perfkit::memops {

template <size_t N>
inline void CopyFixed(void* dst, const void* src) {
  static_assert(N == 1 || N == 2 || N == 4 || N == 8 || N == 16 || N == 32 || N == 64,
                "CopyFixed covers 1, 2, 4, 8, 16, 32 and 64 bytes");
  __builtin_memcpy(dst, src, N);
}

}  // namespace perfkit::memops
