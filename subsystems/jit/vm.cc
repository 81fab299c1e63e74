#include "subsystems/jit/vm.h"

#include <algorithm>
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

namespace {

// How far `address` is from [lo, hi): 0 inside.
uint64_t Distance(uint64_t address, uint64_t lo, uint64_t hi) {
  return address < lo ? lo - address : address >= hi ? address - hi + 1 : 0;
}

// "memory+4096" or "r10-520", whichever region the address is nearer, or
// no number at all when it is far from both (a pointer the program made up).
std::string Place(uint64_t address, const RunSpace& space) {
  constexpr uint64_t kNear = uint64_t{1} << 20;
  const uint64_t to_mem = Distance(address, space.mem_lo, space.mem_lo + space.mem_size);
  const uint64_t to_stack = Distance(address, space.stack_top - kStackRegionBytes, space.stack_top);
  char buf[96];
  if (std::min(to_mem, to_stack) >= kNear) {
    std::snprintf(buf, sizeof buf, "an address far from the memory and the stack");
  } else if (to_mem <= to_stack) {
    std::snprintf(buf, sizeof buf, "memory%+" PRId64 " (the memory is %" PRIu64 " bytes)",
                  static_cast<int64_t>(address - space.mem_lo), space.mem_size);
  } else {
    std::snprintf(buf, sizeof buf, "r10%+" PRId64 " of the first frame",
                  static_cast<int64_t>(address - space.stack_top));
  }
  return buf;
}

}  // namespace

std::string DescribeFault(Fault fault, uint32_t pc, uint64_t address, int bytes,
                          const RunSpace& space) {
  char buf[256];
  switch (fault) {
    case Fault::kOutOfBounds:
      std::snprintf(buf, sizeof buf,
                    "insn %u: out-of-bounds access of %d bytes at %s (outside the memory and the "
                    "stack)",
                    pc, bytes, Place(address, space).c_str());
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
      std::snprintf(buf, sizeof buf, "insn %u: misaligned atomic access of %d bytes at %s", pc,
                    bytes, Place(address, space).c_str());
      break;
    case Fault::kNone:
      return "";
  }
  return buf;
}

}  // namespace perfkit::jit
