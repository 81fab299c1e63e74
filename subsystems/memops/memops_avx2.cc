// AVX2: 32-byte vectors; below 32 bytes the SSE2 path.
#include "subsystems/memops/memops_vector.h"

namespace perfkit::memops::internal {

using Avx2 = Algorithms<Avx2Traits>;

void* Avx2Copy(void* dst, const void* src, size_t n) { return Avx2::Copy(dst, src, n); }
void* Avx2Move(void* dst, const void* src, size_t n) { return Avx2::Move(dst, src, n); }
int Avx2Compare(const void* a, const void* b, size_t n) { return Avx2::Compare(a, b, n); }
void* Avx2Set(void* dst, int c, size_t n) { return Avx2::Set(dst, c, n); }

}  // namespace perfkit::memops::internal
