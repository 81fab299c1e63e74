// A profiling target that spends 70%, 20% and 10% of its time in three
// functions by construction: each runs the same dependent multiply chain,
// 7, 2 and 1 times as long. No libc calls inside, so frame-pointer stacks
// stay complete. Argument: total rounds (default 3000, about one second).
#include <cstdint>
#include <cstdlib>

namespace {

// Inlined into each caller, so the time is self time of the three functions.
__attribute__((always_inline)) inline uint64_t Spin(uint64_t n, uint64_t x) {
  for (uint64_t i = 0; i < n; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  return x;
}

// A call keeps the three from being leaf functions, which GCC 12 builds
// without a frame even under -fno-omit-frame-pointer (their callers would
// then be missing from frame-pointer stacks).
__attribute__((noinline)) uint64_t Keep(uint64_t x) {
  asm volatile("" : "+r"(x));
  return x;
}

__attribute__((noinline)) uint64_t Seventy(uint64_t x) { return Keep(Spin(70000, x)); }
__attribute__((noinline)) uint64_t Twenty(uint64_t x) { return Keep(Spin(20000, x)); }
__attribute__((noinline)) uint64_t Ten(uint64_t x) { return Keep(Spin(10000, x)); }

}  // namespace

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 3000;
  uint64_t x = 1;
  for (long r = 0; r < rounds; ++r) {
    x = Seventy(x);
    x = Twenty(x);
    x = Ten(x);
  }
  return static_cast<int>(x & 1);
}
