// SSE2: 16-byte vectors, every x86-64 CPU has them.
#include "subsystems/memops/memops_vector.h"

namespace perfkit::memops::internal {

using Sse2 = Algorithms<Sse2Traits>;

void* Sse2Copy(void* dst, const void* src, size_t n) { return Sse2::Copy(dst, src, n); }
void* Sse2Move(void* dst, const void* src, size_t n) { return Sse2::Move(dst, src, n); }
int Sse2Compare(const void* a, const void* b, size_t n) { return Sse2::Compare(a, b, n); }
void* Sse2Set(void* dst, int c, size_t n) { return Sse2::Set(dst, c, n); }

}  // namespace perfkit::memops::internal
