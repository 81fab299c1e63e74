// AVX2: 32-byte vectors; below 32 bytes the SSE2 path.
#include "subsystems/memops/memops_vector.h"

namespace perfkit::memops::internal {
namespace {

struct Avx2Traits {
  using Vec = __m256i;
  using Narrow = ByNarrower<Sse2Traits>;
  static constexpr size_t kSize = 32;
  static constexpr uint64_t kAllEqual = 0xffffffffu;
  static Vec Load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const Vec*>(p)); }
  static void Store(uint8_t* p, Vec v) { _mm256_storeu_si256(reinterpret_cast<Vec*>(p), v); }
  static void StoreAligned(uint8_t* p, Vec v) { _mm256_store_si256(reinterpret_cast<Vec*>(p), v); }
  static void Stream(uint8_t* p, Vec v) { _mm256_stream_si256(reinterpret_cast<Vec*>(p), v); }
  static Vec Splat(uint8_t c) { return _mm256_set1_epi8(static_cast<char>(c)); }
  static uint64_t EqualMask(const uint8_t* a, const uint8_t* b) {
    return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(Load(a), Load(b))));
  }
};

using Avx2 = Algorithms<Avx2Traits>;

}  // namespace

void* Avx2Copy(void* dst, const void* src, size_t n) { return Avx2::Copy(dst, src, n); }
void* Avx2Move(void* dst, const void* src, size_t n) { return Avx2::Move(dst, src, n); }
int Avx2Compare(const void* a, const void* b, size_t n) { return Avx2::Compare(a, b, n); }
void* Avx2Set(void* dst, int c, size_t n) { return Avx2::Set(dst, c, n); }

}  // namespace perfkit::memops::internal
