// The honest baseline: plain 8-byte word loops, no vectors. This file is
// built without loop-to-libcall distribution or auto-vectorisation: at -O3
// GCC would otherwise turn these loops into glibc calls or SSE code (it did:
// the "scalar" engine ran as fast as AVX2 from 32 KiB up).
#include <cstdint>
#include <cstring>

#include "subsystems/memops/memops_internal.h"

namespace perfkit::memops::internal {
namespace {

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8);
  return v;
}

void Store64(uint8_t* p, uint64_t v) { __builtin_memcpy(p, &v, 8); }

}  // namespace

void* ScalarCopy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) Store64(d + i, Load64(s + i));
  for (; i < n; ++i) d[i] = s[i];
  return dst;
}

void* ScalarMove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (static_cast<size_t>(d - s) >= n) return ScalarCopy(dst, src, n);  // forward is safe
  size_t i = n;
  for (; i >= 8; i -= 8) Store64(d + i - 8, Load64(s + i - 8));
  for (; i > 0; --i) d[i - 1] = s[i - 1];
  return dst;
}

int ScalarCompare(const void* pa, const void* pb, size_t n) {
  const auto* a = static_cast<const uint8_t*>(pa);
  const auto* b = static_cast<const uint8_t*>(pb);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (Load64(a + i) != Load64(b + i)) break;
  }
  for (; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<int>(a[i]) - static_cast<int>(b[i]);
  }
  return 0;
}

void* ScalarSet(void* dst, int c, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const uint64_t v = 0x0101010101010101ull * static_cast<uint8_t>(c);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) Store64(d + i, v);
  for (; i < n; ++i) d[i] = static_cast<uint8_t>(c);
  return dst;
}

}  // namespace perfkit::memops::internal
