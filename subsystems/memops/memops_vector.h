// The vector algorithms, written once over a vector-width traits type and
// instantiated by each ISA file. Internal linkage on purpose: each includer is
// compiled with different -m flags (see crc32_x86.h for the same reasoning).
//
// Size classes: below one vector, overlapping scalar or narrower-vector moves;
// up to four vectors, overlapping head/tail vectors with every load before any
// store (so the same code serves memmove); above, an aligned-store loop four
// vectors wide, and streaming stores past NonTemporalThreshold().
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "subsystems/memops/memops_internal.h"

namespace perfkit::memops::internal {
namespace {

template <typename T>
inline T LoadU(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void StoreU(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

// Fewer than 16 bytes: 4-15 as four overlapping 4-byte words (at 0 and
// n - 4, and 4 bytes further in from each end when n >= 8), 1-3 as three
// bytes, so that each takes one branch.
inline void CopyUnder16(uint8_t* d, const uint8_t* s, size_t n) {
  if (n >= 4) {
    const size_t m = (n >> 3) << 2;
    const uint32_t a = LoadU<uint32_t>(s), b = LoadU<uint32_t>(s + m),
                   c = LoadU<uint32_t>(s + n - 4 - m), e = LoadU<uint32_t>(s + n - 4);
    StoreU(d, a);
    StoreU(d + m, b);
    StoreU(d + n - 4 - m, c);
    StoreU(d + n - 4, e);
  } else if (n != 0) {
    const uint8_t a = s[0], b = s[n / 2], c = s[n - 1];
    d[0] = a;
    d[n / 2] = b;
    d[n - 1] = c;
  }
}

inline void SetUnder16(uint8_t* d, uint8_t c, size_t n) {
  if (n >= 4) {
    const uint32_t v = 0x01010101u * c;
    const size_t m = (n >> 3) << 2;
    StoreU(d, v);
    StoreU(d + m, v);
    StoreU(d + n - 4 - m, v);
    StoreU(d + n - 4, v);
  } else if (n != 0) {
    d[0] = c;
    d[n / 2] = c;
    d[n - 1] = c;
  }
}

inline int ByteDiff(const uint8_t* a, const uint8_t* b, size_t i) {
  return static_cast<int>(a[i]) - static_cast<int>(b[i]);
}

// Big-endian words compare like bytes in memory order.
inline int CompareWord(const uint8_t* a, const uint8_t* b) {
  const uint64_t x = LoadU<uint64_t>(a), y = LoadU<uint64_t>(b);
  if (x == y) return 0;
  return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
}

inline int CompareUnder16(const uint8_t* a, const uint8_t* b, size_t n) {
  if (n >= 8) {
    if (int r = CompareWord(a, b)) return r;
    return CompareWord(a + n - 8, b + n - 8);
  }
  // Below 8 bytes, the bytes in memory order make one big-endian number per
  // side, and one subtraction or comparison decides, with no branch on the
  // data: 4-6 B had taken 3.2-3.6 ns against glibc's 3.0 (Zen 4).
  if (n >= 4) {
    const uint64_t x = uint64_t{__builtin_bswap32(LoadU<uint32_t>(a))} << 32 |
                       __builtin_bswap32(LoadU<uint32_t>(a + n - 4));
    const uint64_t y = uint64_t{__builtin_bswap32(LoadU<uint32_t>(b))} << 32 |
                       __builtin_bswap32(LoadU<uint32_t>(b + n - 4));
    return (x > y) - (x < y);
  }
  if (n == 0) return 0;
  // Bytes 0, n/2 and n-1 are every byte of 1-3, in order.
  const int x = a[0] << 16 | a[n / 2] << 8 | a[n - 1];
  const int y = b[0] << 16 | b[n / 2] << 8 | b[n - 1];
  return x - y;
}

// Keeps the stores before it ahead of those after it: a loop's stores go
// out in address order. GCC had scheduled the AVX2 copy loop's second store
// before its first, and a loop that starts half a line in (its stores
// straddling lines) then ran 2 KiB copies at 0.65-0.68x glibc on an Emerald
// Rapids-class Xeon; in order, 1.0x.
inline void InOrder() { asm volatile("" ::: "memory"); }

// V: a traits type with Vec, kSize, Load, Store, StoreAligned, Stream,
// Splat, EqualMask (bit i set when byte i is equal) and kAllEqual. Narrow
// handles copies and sets below kCopyNarrowBelow bytes and compares below
// kCompareNarrowBelow (kSize but for AVX-512), as the first branch's
// fall-through when kNarrowFirst. Long compares test kCompareLoopVectors
// (4 or 8) vectors a turn.
template <typename V>
struct Algorithms {
  using Vec = typename V::Vec;
  static constexpr size_t W = V::kSize;

  // Up to two vectors a side laid out as the fall-through, here and in
  // Copy, Move and Set, as glibc lays out its own: behind two taken
  // branches the AVX2 engine's copies of 32-64 B ran at 0.59-0.82x glibc.
  static bool UpTo(size_t n, size_t vectors) { return __builtin_expect(n <= vectors * W, 1); }

  static void CopyUpTo4(uint8_t* d, const uint8_t* s, size_t n) {
    if (UpTo(n, 2)) {
      const Vec a = V::Load(s), b = V::Load(s + n - W);
      V::Store(d, a);
      V::Store(d + n - W, b);
      return;
    }
    const Vec a = V::Load(s), b = V::Load(s + W), c = V::Load(s + n - 2 * W),
              e = V::Load(s + n - W);
    V::Store(d, a);
    V::Store(d + W, b);
    V::Store(d + n - 2 * W, c);
    V::Store(d + n - W, e);
  }

  // 4W < n <= 8W: four vectors from each end, every load before any store.
  static void CopyUpTo8(uint8_t* d, const uint8_t* s, size_t n) {
    const Vec a0 = V::Load(s), a1 = V::Load(s + W), a2 = V::Load(s + 2 * W),
              a3 = V::Load(s + 3 * W);
    const Vec b0 = V::Load(s + n - 4 * W), b1 = V::Load(s + n - 3 * W), b2 = V::Load(s + n - 2 * W),
              b3 = V::Load(s + n - W);
    V::Store(d, a0);
    V::Store(d + W, a1);
    V::Store(d + 2 * W, a2);
    V::Store(d + 3 * W, a3);
    V::Store(d + n - 4 * W, b0);
    V::Store(d + n - 3 * W, b1);
    V::Store(d + n - 2 * W, b2);
    V::Store(d + n - W, b3);
  }

  // The loops below are kept out of line: inlined, their register pressure
  // made every call (even of 8 bytes) save six registers and realign the
  // stack for spills, which cost small copies ~30% against glibc.

  // Streams whole pairs of 4 KiB pages from dst on, two lines of each page
  // a turn (as glibc's large copies do), and returns where it stopped. Only
  // for disjoint ranges: the second page's stores run ahead of the first
  // page's loads. With 64-byte vectors, copies of 128 MiB-1 GiB went from
  // 0.90-0.96x glibc to 0.96-1.07x; with 32-byte ones, whose streaming
  // stores fill half a line each, 0.79-0.96x fell to 0.68-0.87x, so the
  // narrower engines stream one page at a time (Xeon, family 6 model 207).
  [[gnu::noinline]] static uint8_t* StreamPagePairs(uint8_t* dst, ptrdiff_t delta,
                                                    const uint8_t* end) {
    constexpr size_t kPage = 4096, kVectors = 128 / W;
    for (; end - dst >= static_cast<ptrdiff_t>(2 * kPage); dst += 2 * kPage) {
      for (size_t o = 0; o < kPage; o += kVectors * W) {
        const uint8_t* src = dst + delta + o;
        Vec first[kVectors], second[kVectors];
        for (size_t v = 0; v < kVectors; ++v) {
          first[v] = V::Load(src + v * W);
          second[v] = V::Load(src + kPage + v * W);
        }
        for (size_t v = 0; v < kVectors; ++v) V::Stream(dst + o + v * W, first[v]);
        for (size_t v = 0; v < kVectors; ++v) V::Stream(dst + kPage + o + v * W, second[v]);
      }
    }
    return dst;
  }

  // Forward copy of n > 8W bytes; safe for memmove when d <= s.
  [[gnu::noinline]] static void* Forward(uint8_t* d, const uint8_t* s, size_t n, bool may_stream) {
    const bool stream = may_stream && CopyStreams(n);
    if (may_stream && !stream && n >= (W == 64 ? g_rep_movsb_from_wide : g_rep_movsb_from)) {
      void* to = d;
      const void* from = s;
      asm volatile("rep movsb" : "+D"(to), "+S"(from), "+c"(n) : : "memory");
      return d;
    }
    const Vec head = V::Load(s);
    const Vec t0 = V::Load(s + n - 4 * W), t1 = V::Load(s + n - 3 * W), t2 = V::Load(s + n - 2 * W),
              t3 = V::Load(s + n - W);
    const size_t skew = W - (reinterpret_cast<uintptr_t>(d) & (W - 1));
    uint8_t* dst = d + skew;
    const ptrdiff_t delta = s - d;
    uint8_t* const end = d + n - 4 * W;
    if constexpr (W == 64) {
      if (stream) dst = StreamPagePairs(dst, delta, end);
    }
    for (; dst < end; dst += 4 * W) {
      const uint8_t* src = dst + delta;
      const Vec a = V::Load(src), b = V::Load(src + W), c = V::Load(src + 2 * W),
                e = V::Load(src + 3 * W);
      if (stream) {
        V::Stream(dst, a);
        InOrder();
        V::Stream(dst + W, b);
        InOrder();
        V::Stream(dst + 2 * W, c);
        InOrder();
        V::Stream(dst + 3 * W, e);
      } else {
        V::StoreAligned(dst, a);
        InOrder();
        V::StoreAligned(dst + W, b);
        InOrder();
        V::StoreAligned(dst + 2 * W, c);
        InOrder();
        V::StoreAligned(dst + 3 * W, e);
      }
    }
    if (stream) _mm_sfence();
    V::Store(d + n - 4 * W, t0);
    V::Store(d + n - 3 * W, t1);
    V::Store(d + n - 2 * W, t2);
    V::Store(d + n - W, t3);
    V::Store(d, head);
    return d;
  }

  // Backward copy of n > 8W bytes for memmove with d > s.
  [[gnu::noinline]] static void* Backward(uint8_t* d, const uint8_t* s, size_t n) {
    const Vec h0 = V::Load(s), h1 = V::Load(s + W), h2 = V::Load(s + 2 * W),
              h3 = V::Load(s + 3 * W);
    const Vec tail = V::Load(s + n - W);
    const size_t skew = reinterpret_cast<uintptr_t>(d + n) & (W - 1);
    uint8_t* dst = d + n - skew;
    const uint8_t* src = s + n - skew;
    size_t left = n - skew;
    for (; left > 4 * W; left -= 4 * W) {
      dst -= 4 * W;
      src -= 4 * W;
      const Vec a = V::Load(src), b = V::Load(src + W), c = V::Load(src + 2 * W),
                e = V::Load(src + 3 * W);
      V::StoreAligned(dst + 3 * W, e);
      InOrder();
      V::StoreAligned(dst + 2 * W, c);
      InOrder();
      V::StoreAligned(dst + W, b);
      InOrder();
      V::StoreAligned(dst, a);
    }
    V::Store(d + n - W, tail);
    V::Store(d, h0);
    V::Store(d + W, h1);
    V::Store(d + 2 * W, h2);
    V::Store(d + 3 * W, h3);
    return d;
  }

  // Whether n takes Narrow's path, laid out as the fall-through where Narrow
  // serves the engine's most common sizes (kNarrowFirst).
  static bool TakesNarrow(size_t n, size_t below) {
    if constexpr (V::kNarrowFirst) {
      return __builtin_expect(n < below, 1);
    } else {
      return n < below;
    }
  }

  static void* Copy(void* dst, const void* src, size_t n) {
    auto* d = static_cast<uint8_t*>(dst);
    const auto* s = static_cast<const uint8_t*>(src);
    if (TakesNarrow(n, V::kCopyNarrowBelow)) {
      V::Narrow::Copy(d, s, n);
    } else if (UpTo(n, 4)) {
      CopyUpTo4(d, s, n);
    } else if (n <= 8 * W) {
      CopyUpTo8(d, s, n);
    } else {
      return Forward(d, s, n, true);
    }
    return dst;
  }

  static void* Move(void* dst, const void* src, size_t n) {
    auto* d = static_cast<uint8_t*>(dst);
    const auto* s = static_cast<const uint8_t*>(src);
    if (TakesNarrow(n, V::kCopyNarrowBelow)) {
      V::Narrow::Copy(d, s, n);  // loads before stores: overlap-safe
    } else if (UpTo(n, 4)) {
      CopyUpTo4(d, s, n);
    } else if (n <= 8 * W) {
      CopyUpTo8(d, s, n);
    } else if (static_cast<size_t>(d - s) >= n) {
      // d before s, or the ranges do not overlap: forward is safe, and
      // streaming only when they are disjoint.
      return Forward(d, s, n, static_cast<size_t>(s - d) >= n);
    } else {
      return Backward(d, s, n);
    }
    return dst;
  }

  static int FirstDifference(const uint8_t* a, const uint8_t* b, uint64_t equal) {
    const unsigned i = static_cast<unsigned>(__builtin_ctzll(~equal));
    return ByteDiff(a, b, i);
  }

  // Whether the vectors at offsets 0, o1, o2 and o3 of a and b are equal:
  // their differences or-ed together and tested once. A mask per vector
  // took four movemasks: 0.80-0.93x glibc at 192-256 B for AVX2 (Zen 4).
  static bool Equal4(const uint8_t* a, const uint8_t* b, size_t o1, size_t o2, size_t o3) {
    return V::IsZero(V::Or(V::Or(V::Xor(a, b), V::Xor(a + o1, b + o1)),
                           V::Or(V::Xor(a + o2, b + o2), V::Xor(a + o3, b + o3))));
  }

  static bool Equal8(const uint8_t* a, const uint8_t* b) {
    const Vec x = V::Or(V::Or(V::Xor(a, b), V::Xor(a + W, b + W)),
                        V::Or(V::Xor(a + 2 * W, b + 2 * W), V::Xor(a + 3 * W, b + 3 * W)));
    const Vec y = V::Or(V::Or(V::Xor(a + 4 * W, b + 4 * W), V::Xor(a + 5 * W, b + 5 * W)),
                        V::Or(V::Xor(a + 6 * W, b + 6 * W), V::Xor(a + 7 * W, b + 7 * W)));
    return V::IsZero(V::Or(x, y));
  }

  // The first difference among those four vectors, in memory order, so that
  // it is the first byte that differs even where they overlap.
  [[gnu::noinline]] static int FirstOf4(const uint8_t* a, const uint8_t* b, size_t o1, size_t o2,
                                        size_t o3) {
    for (size_t o : {size_t{0}, o1, o2}) {
      const uint64_t m = V::EqualMask(a + o, b + o);
      if (m != V::kAllEqual) return FirstDifference(a + o, b + o, m);
    }
    return FirstDifference(a + o3, b + o3, V::EqualMask(a + o3, b + o3));
  }

  // The first four vectors are tested one at a time as they are loaded,
  // before the size is fully known, and a difference leaves the straight
  // line: up to eight vectors, an equal compare takes no branch but its
  // return (glibc's layout). Tested a size class at a time with both ends
  // before one branch, 128-512 B had run at 0.65-0.85x glibc (AVX2, Zen 3).
  static int Compare(const void* pa, const void* pb, size_t n) {
    const auto* a = static_cast<const uint8_t*>(pa);
    const auto* b = static_cast<const uint8_t*>(pb);
    if (TakesNarrow(n, V::kCompareNarrowBelow)) return V::Narrow::Compare(a, b, n);
    const uint64_t m = V::EqualMask(a, b);
    if (m != V::kAllEqual) [[unlikely]]
      return FirstDifference(a, b, m);
    if (n <= 2 * W) return CompareAt(a, b, n - W);
    return CompareAbove2(a, b, n);
  }

  static int CompareAt(const uint8_t* a, const uint8_t* b, size_t o) {
    const uint64_t m = V::EqualMask(a + o, b + o);
    return m == V::kAllEqual ? 0 : FirstDifference(a + o, b + o, m);
  }

  // Above two vectors, the first known equal; out of line: inlined into
  // Compare, it made the short compares' own code ~0.4 ns slower (AVX-512
  // at 64-128 B, Zen 4).
  [[gnu::noinline]] static int CompareAbove2(const uint8_t* a, const uint8_t* b, size_t n) {
    if constexpr (W == 64) {
      // Three or four zmm: the other three tested at once, one branch, as
      // glibc's EVEX memcmp does; one at a time (a mask and a branch each),
      // 192-256 B ran at 0.89-0.92x glibc, now 1.05-1.07x (Xeon, family 6
      // model 207). The vectors at W and n - 2W are put in memory order only
      // to find a difference: sorted before the test, sizes drawn at random
      // from 1-256 B ran 10-15% slower for the mispredicted order.
      if (n <= 4 * W) {
        const size_t o = n - 2 * W;
        if (Equal4(a, b, W, o, n - W)) [[likely]]
          return 0;
        return FirstOf4(a, b, std::min(W, o), std::max(W, o), n - W);
      }
      // Five to eight: the three after the first at once, then the last four
      // (all seven at once was 5-10% slower at 384-512 B).
      if (n <= 8 * W) {
        if (!Equal4(a, b, W, 2 * W, 3 * W)) [[unlikely]]
          return FirstOf4(a, b, W, 2 * W, 3 * W);
        return EqualOrFirstOf4(a + n - 4 * W, b + n - 4 * W);
      }
    }
    uint64_t m = V::EqualMask(a + W, b + W);
    if (m != V::kAllEqual) [[unlikely]]
      return FirstDifference(a + W, b + W, m);
    if (n <= 4 * W) {
      const size_t o = n - 2 * W;
      const uint64_t m0 = V::EqualMask(a + o, b + o), m1 = V::EqualMask(a + n - W, b + n - W);
      if ((m0 & m1) == V::kAllEqual) [[likely]]
        return 0;
      if (m0 != V::kAllEqual) return FirstDifference(a + o, b + o, m0);
      return FirstDifference(a + n - W, b + n - W, m1);
    }
    for (size_t o : {2 * W, 3 * W}) {
      m = V::EqualMask(a + o, b + o);
      if (m != V::kAllEqual) [[unlikely]]
        return FirstDifference(a + o, b + o, m);
    }
    // Four vectors at a time up to the last four, which may overlap bytes
    // already known equal (a difference there was found before them). With
    // a one-vector loop and a last vector after the four-vector loop, 384 B
    // to 1 KiB had run 1.25-1.35x slower (AVX2, Zen 3). From 16 vectors the
    // loop's loads from a are aligned, starting back in bytes known equal:
    // with both sides off alignment every zmm load had split two lines, and
    // 2-16 KiB ran at 0.65-0.82x glibc, which aligns one side too (Xeon,
    // family 6 model 207). Not below: starting back can cost an iteration,
    // which made 8 vectors 1.15-1.2x slower.
    // Up to eight vectors, the last four at once and none of the loop's
    // set-up: 192-384 B with the AVX-512 engine went from 0.84-0.92x glibc
    // to 0.91-0.98x, and sizes drawn at random up to 256 B with the AVX2
    // one from 0.86-0.90x to 1.08-1.18x (Xeon, family 6 model 207).
    const size_t t = n - 4 * W;
    if (n <= 8 * W) return EqualOrFirstOf4(a + t, b + t);
    const size_t back = t > 12 * W ? reinterpret_cast<uintptr_t>(a + 4 * W) & (W - 1) : 0;
    size_t i = 4 * W - back;
    if constexpr (V::kCompareLoopVectors == 8) {
      // Two pointers: over an index GCC kept five induction variables.
      const uint8_t* pa = a + i;
      const uint8_t* pb = b + i;
      const uint8_t* const stop = a + (t > 4 * W ? t - 4 * W : 0);
      for (; pa < stop; pa += 8 * W, pb += 8 * W) {
        if (!Equal8(pa, pb)) [[unlikely]] {
          if (!Equal4(pa, pb, W, 2 * W, 3 * W)) return FirstOf4(pa, pb, W, 2 * W, 3 * W);
          return FirstOf4(pa + 4 * W, pb + 4 * W, W, 2 * W, 3 * W);
        }
      }
      i = static_cast<size_t>(pa - a);
    }
    for (; i < t; i += 4 * W) {
      if (!Equal4(a + i, b + i, W, 2 * W, 3 * W)) [[unlikely]] {
        return FirstOf4(a + i, b + i, W, 2 * W, 3 * W);
      }
    }
    return EqualOrFirstOf4(a + t, b + t);
  }

  static int EqualOrFirstOf4(const uint8_t* a, const uint8_t* b) {
    if (Equal4(a, b, W, 2 * W, 3 * W)) [[likely]]
      return 0;
    return FirstOf4(a, b, W, 2 * W, 3 * W);
  }

  // A set of n > 8W bytes with cached (kStream false) or streaming stores;
  // the loop's stores are aligned, so no byte is stored twice but near the
  // ends. Its ends: four unaligned vectors each, but for 64-byte vectors
  // one unaligned vector each, the rest aligned. A zmm store off its
  // alignment always writes two lines (a ymm one half the time): with four
  // at each end, sets from 600 B to 4 KiB off 64-byte alignment ran at
  // 0.79-0.92x glibc, and 1.03-1.30x this way; for the AVX2 engine one
  // vector at each end was slower (Xeon, family 6 model 207).
  template <bool kStream>
  static void SetStores(uint8_t* d, uint8_t c, size_t n) {
    const Vec v = V::Splat(c);
    constexpr bool kOneUnalignedPerEnd = W == 64;
    const auto align_down = [](uint8_t* q) {
      return q - (reinterpret_cast<uintptr_t>(q) & (W - 1));
    };
    uint8_t *p, *last4;
    V::Store(d, v);
    if constexpr (kOneUnalignedPerEnd) {
      p = align_down(d + W - 1);
      last4 = align_down(d + n) - 4 * W;  // past d + 3W, as n > 8W
    } else {
      V::Store(d + W, v);
      V::Store(d + 2 * W, v);
      V::Store(d + 3 * W, v);
      p = align_down(d + 4 * W);
      last4 = d + n - 4 * W;
    }
    for (; p < last4; p += 4 * W) {
      if constexpr (kStream) {
        V::Stream(p, v);
        InOrder();
        V::Stream(p + W, v);
        InOrder();
        V::Stream(p + 2 * W, v);
        InOrder();
        V::Stream(p + 3 * W, v);
      } else {
        V::StoreAligned(p, v);
        InOrder();
        V::StoreAligned(p + W, v);
        InOrder();
        V::StoreAligned(p + 2 * W, v);
        InOrder();
        V::StoreAligned(p + 3 * W, v);
      }
    }
    if constexpr (kStream) _mm_sfence();
    V::Store(last4, v);
    V::Store(last4 + W, v);
    V::Store(last4 + 2 * W, v);
    V::Store(last4 + 3 * W, v);
    if constexpr (kOneUnalignedPerEnd) V::Store(d + n - W, v);
  }

  [[gnu::noinline]] static void SetFar(uint8_t* d, uint8_t c, size_t n, bool stream) {
    if (stream) return SetStores<true>(d, c, n);
    void* to = d;
    asm volatile("rep stosb" : "+D"(to), "+c"(n) : "a"(c) : "memory");
  }

  // Out of line as Forward is, its cached stores the fall-through (its
  // most common sizes), and given the byte, not its vector: a function
  // that takes a vector leaves the upper halves dirty on return (GCC emits
  // no vzeroupper where the ABI passes one), and the caller's SSE code
  // then pays for them (seen where the AVX2 engine's sets of 384 B-1.5 KiB
  // ran at 0.65-0.93x glibc; Xeon, family 6 model 207). On Intel, `rep
  // stosb` from g_rep_stosb_from up to where sets stream (memops.cc says why).
  // On a 64-byte line's start, so that where other code ends cannot move
  // its four-store loop across a line: across one, the AVX2 engine's sets
  // of 512 B-2 KiB ran at 0.70-0.80x glibc's AVX2 memset, within one at
  // 0.84-1.00x (three rounds, one build either way; Xeon, family 6 model
  // 207). A change to this function can still move the loop within it.
  [[gnu::noinline, gnu::aligned(64)]] static void* SetLoop(uint8_t* d, uint8_t c, size_t n) {
    const bool stream = SetStreams(n);
    if (__builtin_expect(stream || n >= g_rep_stosb_from, 0)) {
      SetFar(d, c, n, stream);
    } else {
      SetStores<false>(d, c, n);
    }
    return d;
  }

  static void* Set(void* dst, int c, size_t n) {
    auto* d = static_cast<uint8_t*>(dst);
    const uint8_t byte = static_cast<uint8_t>(c);
    if (TakesNarrow(n, V::kCopyNarrowBelow)) {
      V::Narrow::Set(d, byte, n);
      return dst;
    }
    if (UpTo(n, 4)) {
      const Vec v = V::Splat(byte);
      V::Store(d, v);
      V::Store(d + n - W, v);
      if (!UpTo(n, 2)) {
        V::Store(d + W, v);
        V::Store(d + n - 2 * W, v);
      }
      return dst;
    }
    if (n > 8 * W) return SetLoop(d, byte, n);
    const Vec v = V::Splat(byte);
    V::Store(d, v);
    V::Store(d + W, v);
    V::Store(d + 2 * W, v);
    V::Store(d + 3 * W, v);
    V::Store(d + n - 4 * W, v);
    V::Store(d + n - 3 * W, v);
    V::Store(d + n - 2 * W, v);
    V::Store(d + n - W, v);
    return dst;
  }
};

// Below 16 bytes: scalar words.
struct Under16 {
  static void Copy(uint8_t* d, const uint8_t* s, size_t n) { CopyUnder16(d, s, n); }
  static void Set(uint8_t* d, uint8_t c, size_t n) { SetUnder16(d, c, n); }
  static int Compare(const uint8_t* a, const uint8_t* b, size_t n) {
    return CompareUnder16(a, b, n);
  }
};

struct Sse2Traits {
  using Vec = __m128i;
  using Narrow = Under16;
  static constexpr size_t kSize = 16;
  static constexpr size_t kCopyNarrowBelow = kSize, kCompareNarrowBelow = kSize;
  static constexpr bool kNarrowFirst = false;
  static constexpr size_t kCompareLoopVectors = 4;
  static constexpr uint64_t kAllEqual = 0xffff;
  static Vec Load(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const Vec*>(p)); }
  static void Store(uint8_t* p, Vec v) { _mm_storeu_si128(reinterpret_cast<Vec*>(p), v); }
  static void StoreAligned(uint8_t* p, Vec v) { _mm_store_si128(reinterpret_cast<Vec*>(p), v); }
  static void Stream(uint8_t* p, Vec v) { _mm_stream_si128(reinterpret_cast<Vec*>(p), v); }
  static Vec Splat(uint8_t c) { return _mm_set1_epi8(static_cast<char>(c)); }
  static uint64_t EqualMask(const uint8_t* a, const uint8_t* b) {
    return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(Load(a), Load(b))));
  }
  static Vec Xor(const uint8_t* a, const uint8_t* b) { return _mm_xor_si128(Load(a), Load(b)); }
  static Vec Or(Vec x, Vec y) { return _mm_or_si128(x, y); }
  static bool IsZero(Vec x) {
    return _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())) == 0xffff;
  }
};

// Below W bytes for a wider engine: the next narrower engine's full path.
template <typename NarrowerTraits>
struct ByNarrower {
  using A = Algorithms<NarrowerTraits>;
  static void Copy(uint8_t* d, const uint8_t* s, size_t n) {
    if (n < NarrowerTraits::kSize) {
      NarrowerTraits::Narrow::Copy(d, s, n);
    } else {
      A::CopyUpTo4(d, s, n);  // n <= 4 * kSize here
    }
  }
  static void Set(uint8_t* d, uint8_t c, size_t n) { A::Set(d, c, n); }
  static int Compare(const uint8_t* a, const uint8_t* b, size_t n) { return A::Compare(a, b, n); }
};

#ifdef __AVX2__
// Shared by the AVX2 engine and, below 64 bytes, the AVX-512 one.
struct Avx2Traits {
  using Vec = __m256i;
  using Narrow = ByNarrower<Sse2Traits>;
  static constexpr size_t kSize = 32;
  static constexpr size_t kCopyNarrowBelow = kSize, kCompareNarrowBelow = kSize;
  static constexpr bool kNarrowFirst = false;
  // Long compares take 8 vectors a turn: at 4, a turn's own increments and
  // tests were a third of its instructions, and 1-256 KiB ran at 0.82-0.90x
  // glibc; at 8, 0.91-0.97x (Xeon, family 6 model 207).
  static constexpr size_t kCompareLoopVectors = 8;
  static constexpr uint64_t kAllEqual = 0xffffffffu;
  static Vec Load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const Vec*>(p)); }
  static void Store(uint8_t* p, Vec v) { _mm256_storeu_si256(reinterpret_cast<Vec*>(p), v); }
  static void StoreAligned(uint8_t* p, Vec v) { _mm256_store_si256(reinterpret_cast<Vec*>(p), v); }
  static void Stream(uint8_t* p, Vec v) { _mm256_stream_si256(reinterpret_cast<Vec*>(p), v); }
  static Vec Splat(uint8_t c) { return _mm256_set1_epi8(static_cast<char>(c)); }
  static uint64_t EqualMask(const uint8_t* a, const uint8_t* b) {
    return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(Load(a), Load(b))));
  }
  static Vec Xor(const uint8_t* a, const uint8_t* b) { return _mm256_xor_si256(Load(a), Load(b)); }
  static Vec Or(Vec x, Vec y) { return _mm256_or_si256(x, y); }
  static bool IsZero(Vec x) { return _mm256_testz_si256(x, x); }
};
#endif

}  // namespace
}  // namespace perfkit::memops::internal
