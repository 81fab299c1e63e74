#include "subsystems/jit/vm.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace perfkit::jit {
namespace {

uint64_t GatherBytes(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
  return ((a & 0xff) << 32) | ((b & 0xff) << 24) | ((c & 0xff) << 16) | ((d & 0xff) << 8) |
         (e & 0xff);
}
uint64_t NoOp(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) { return 0; }
uint64_t Sqrti(uint64_t x, uint64_t, uint64_t, uint64_t, uint64_t) {
  uint64_t lo = 0, hi = x < 2 ? x : (x >> 1) + 1;
  if (hi > 0xffffffffu) hi = 0xffffffffu;
  while (lo < hi) {  // largest r with r*r <= x
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    if (mid * mid <= x) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}
uint64_t Identity(uint64_t a, uint64_t, uint64_t, uint64_t, uint64_t) { return a; }

}  // namespace

void HelperTable::Register(int id, HelperFn fn) {
  PERFKIT_CHECK(id >= 0 && id < kMaxHelpers);
  fns_[static_cast<size_t>(id)] = fn;
}

const HelperTable& StandardHelpers() {
  static const HelperTable table = [] {
    HelperTable t;
    t.Register(0, &GatherBytes);
    t.Register(2, &NoOp);
    t.Register(3, &Sqrti);
    t.Register(5, &Identity);
    return t;
  }();
  return table;
}

void internal::ZeroFrame(uint8_t* frame) {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  for (int i = 0; i < kStackBytes; i += 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(frame + i), zero);
  }
#else
  std::memset(frame, 0, kStackBytes);
#endif
}

std::string DescribeFault(Fault fault, uint32_t pc, uint64_t address, int bytes) {
  char buf[160];
  switch (fault) {
    case Fault::kOutOfBounds:
      std::snprintf(buf, sizeof buf,
                    "insn %u: out-of-bounds access of %d bytes at 0x%" PRIx64
                    " (outside the memory and the stack)",
                    pc, bytes, address);
      break;
    case Fault::kBudget:
      std::snprintf(buf, sizeof buf, "insn %u: work budget exhausted (runaway loop?)", pc);
      break;
    case Fault::kCallDepth:
      std::snprintf(buf, sizeof buf, "insn %u: call depth exceeds %d frames", pc, kMaxCallDepth);
      break;
    case Fault::kBadHelper:
      // Ids beyond the table are likely pointers; printing them would make
      // the message depend on where the stack happens to be.
      if (address < HelperTable::kMaxHelpers * 1024) {
        std::snprintf(buf, sizeof buf, "insn %u: call to unknown helper %" PRIu64, pc, address);
      } else {
        std::snprintf(buf, sizeof buf, "insn %u: call to unknown helper (id out of range)", pc);
      }
      break;
    case Fault::kMisaligned:
      std::snprintf(buf, sizeof buf, "insn %u: misaligned atomic access of %d bytes at 0x%" PRIx64,
                    pc, bytes, address);
      break;
    case Fault::kNone:
      return "";
  }
  return buf;
}

}  // namespace perfkit::jit
