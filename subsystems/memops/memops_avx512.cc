// AVX-512 (F+BW+VL): 64-byte vectors with mask compares; short sizes on the
// AVX2 paths. Built when the compiler supports it, chosen only when the CPU does.
#include "subsystems/memops/memops_vector.h"

namespace perfkit::memops::internal {
namespace {

// The AVX2 engine's paths, but for compares under 32 bytes: one masked
// load a side and one compare, where the AVX2 path's three size tests had
// left 16 B at 0.71-0.76x glibc's EVEX compare, which does the same (Xeon,
// family 6 model 207). Masked-off bytes never fault, but one in an
// unmapped page costs a microcode assist, so compares that start in a
// page's last 31 bytes take the SSE2 path.
struct Avx512Narrow {
  static void Copy(uint8_t* d, const uint8_t* s, size_t n) {
    ByNarrower<Avx2Traits>::Copy(d, s, n);
  }
  static void Set(uint8_t* d, uint8_t c, size_t n) { ByNarrower<Avx2Traits>::Set(d, c, n); }
  static int Compare(const uint8_t* a, const uint8_t* b, size_t n) {
    if (n >= 32) return Algorithms<Avx2Traits>::Compare(a, b, n);
    const uintptr_t either = reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b);
    if ((either & 4095) <= 4096 - 32) {
      const __mmask32 m = _cvtu32_mask32((1u << n) - 1);
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
