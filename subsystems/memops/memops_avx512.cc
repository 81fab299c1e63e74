// AVX-512 (F+BW+VL): 64-byte vectors with mask compares; short sizes on the
// AVX2 paths. Built when the compiler supports it, chosen only when the CPU does.
#include "subsystems/memops/memops_vector.h"

namespace perfkit::memops::internal {
namespace {

// Whether 32 bytes from p stay in its page. Masked-off bytes never fault,
// but one in an unmapped page costs a microcode assist, so the masked paths
// below leave a page's last 31 bytes to the unmasked ones (glibc's EVEX
// memset does the same).
inline bool InPage(uintptr_t p) { return (p & 4095) <= 4096 - 32; }

inline __mmask32 FirstBytes(size_t n) { return _cvtu32_mask32((1u << n) - 1); }

// The AVX2 engine's paths, but below 32 bytes one masked load and store, or
// a masked load a side for compares: where the unmasked paths' size tests
// had taken 6-8 against 4.7 ticks for a copy or set of 1-12 B, and a
// compare of 16 B ran at 0.71-0.76x glibc's EVEX compare (Xeon, family 6
// model 207). glibc's EVEX memset and memcmp mask these sizes too, on every
// CPU with AVX-512 VL and BW.
struct Avx512Narrow {
  static void Copy(uint8_t* d, const uint8_t* s, size_t n) {
    if (__builtin_expect(n >= 32, 1)) return Algorithms<Avx2Traits>::CopyUpTo4(d, s, n);
    if (InPage(reinterpret_cast<uintptr_t>(d) | reinterpret_cast<uintptr_t>(s))) {
      const __mmask32 m = FirstBytes(n);
      _mm256_mask_storeu_epi8(d, m, _mm256_maskz_loadu_epi8(m, s));  // load first: memmove-safe
      return;
    }
    Avx2Traits::Narrow::Copy(d, s, n);
  }
  // Sizes from 32 B laid out as the fall-through: behind a taken branch
  // and the AVX2 engine's Set, laid out then for its own sizes, sets of
  // 32-64 B ran at 0.71-0.99x glibc; now 1.12-1.49x, and 96-128 B
  // 1.04-1.28x -> 1.40-1.79x (Xeon, family 6 model 207). Copies likewise.
  static void Set(uint8_t* d, uint8_t c, size_t n) {
    if (__builtin_expect(n >= 32, 1)) {
      Algorithms<Avx2Traits>::Set(d, c, n);
      return;
    }
    if (InPage(reinterpret_cast<uintptr_t>(d))) {
      _mm256_mask_storeu_epi8(d, FirstBytes(n), _mm256_set1_epi8(static_cast<char>(c)));
      return;
    }
    Avx2Traits::Narrow::Set(d, c, n);
  }
  static int Compare(const uint8_t* a, const uint8_t* b, size_t n) {
    if (n >= 32) return Algorithms<Avx2Traits>::Compare(a, b, n);
    if (InPage(reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b))) {
      const __mmask32 m = FirstBytes(n);
      const uint32_t differ = _cvtmask32_u32(
          _mm256_cmpneq_epi8_mask(_mm256_maskz_loadu_epi8(m, a), _mm256_maskz_loadu_epi8(m, b)));
      if (differ == 0) return 0;
      const unsigned i = static_cast<unsigned>(__builtin_ctz(differ));
      return static_cast<int>(a[i]) - static_cast<int>(b[i]);
    }
    return Algorithms<Sse2Traits>::Compare(a, b, n);
  }
};

struct Avx512Traits {
  using Vec = __m512i;
  using Narrow = Avx512Narrow;
  static constexpr size_t kSize = 64;
  // Copies and sets to 128 B and compares to 64 B on 32-byte vectors, the
  // first branch falling through to them: a 64 B copy or set as one zmm
  // had taken 7-8 cycles against glibc's 6, 96-128 B as two 1-2 more, and
  // the same ymm code behind a second taken branch one more (Xeon, family 6
  // model 207). Its vzeroupper cost nothing measurable there: the AVX2
  // engine, which ends with one, matched glibc's EVEX copy at 32-64 B.
  static constexpr size_t kCopyNarrowBelow = 129, kCompareNarrowBelow = 65;
  static constexpr bool kNarrowFirst = true;
  static constexpr size_t kCompareLoopVectors = 4;
  static constexpr uint64_t kAllEqual = ~0ull;
  static Vec Load(const uint8_t* p) { return _mm512_loadu_si512(p); }
  static void Store(uint8_t* p, Vec v) { _mm512_storeu_si512(p, v); }
  static void StoreAligned(uint8_t* p, Vec v) { _mm512_store_si512(p, v); }
  static void Stream(uint8_t* p, Vec v) { _mm512_stream_si512(reinterpret_cast<Vec*>(p), v); }
  static Vec Splat(uint8_t c) { return _mm512_set1_epi8(static_cast<char>(c)); }
  static uint64_t EqualMask(const uint8_t* a, const uint8_t* b) {
    return _mm512_cmpeq_epi8_mask(Load(a), Load(b));
  }
  static Vec Xor(const uint8_t* a, const uint8_t* b) { return _mm512_xor_si512(Load(a), Load(b)); }
  static Vec Or(Vec x, Vec y) { return _mm512_or_si512(x, y); }
  static bool IsZero(Vec x) { return _mm512_test_epi64_mask(x, x) == 0; }
};

using Avx512 = Algorithms<Avx512Traits>;

}  // namespace

void* Avx512Copy(void* dst, const void* src, size_t n) { return Avx512::Copy(dst, src, n); }
void* Avx512Move(void* dst, const void* src, size_t n) { return Avx512::Move(dst, src, n); }
int Avx512Compare(const void* a, const void* b, size_t n) { return Avx512::Compare(a, b, n); }
void* Avx512Set(void* dst, int c, size_t n) { return Avx512::Set(dst, c, n); }

}  // namespace perfkit::memops::internal
