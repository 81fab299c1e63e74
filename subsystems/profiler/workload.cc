// A profiling target that spends 70%, 20% and 10% of its time in three
// functions by construction: each runs the same dependent multiply chain,
// 7, 2 and 1 times as long. No libc calls inside, so frame-pointer stacks
// stay complete. Argument: total rounds (default 3000, about 0.4 s).
// `qsort N` instead sorts through libc's qsort, which has no frame pointers:
// only DWARF unwinding finds SortMany above the comparisons. `threads S`
// runs S seconds in two threads: the main thread ("profile_workload") in
// Ten, a second one that names itself "worker" in Seventy, and prints
// "ready" once both run.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>

namespace {

// A call keeps the three from being leaf functions, which GCC 12 builds
// without a frame even under -fno-omit-frame-pointer (their callers would
// then be missing from frame-pointer stacks).
__attribute__((noinline)) uint64_t Keep(uint64_t x) {
  asm volatile("" : "+r"(x));
  return x;
}

// The loop is written out in each function rather than shared through an
// inline helper: debug info would then name the helper for most addresses
// (addr2line -f does), and the time must be the three functions' own.
__attribute__((noinline)) uint64_t Seventy(uint64_t x) {
  for (int i = 0; i < 70000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  return Keep(x);
}
__attribute__((noinline)) uint64_t Twenty(uint64_t x) {
  for (int i = 0; i < 20000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  return Keep(x);
}
__attribute__((noinline)) uint64_t Ten(uint64_t x) {
  for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  return Keep(x);
}

}  // namespace

int CompareWords(const void* a, const void* b) {
  const uint64_t x = *static_cast<const uint64_t*>(a), y = *static_cast<const uint64_t*>(b);
  return x < y ? -1 : x > y;
}

__attribute__((noinline)) uint64_t SortMany(long rounds) {
  static uint64_t words[4096];
  for (long r = 0; r < rounds; ++r) {
    for (uint64_t i = 0; i < 4096; ++i) words[i] = (i * 2654435761u) ^ static_cast<uint64_t>(r);
    std::qsort(words, 4096, sizeof words[0], CompareWords);
  }
  return words[0];
}

namespace {

std::atomic<bool> g_stop{false};

void Worker() {
  pthread_setname_np(pthread_self(), "worker");
  uint64_t x = 1;
  while (!g_stop.load(std::memory_order_relaxed)) x = Seventy(x);
  if (x == 42) std::abort();
}

int Threads(double seconds) {
  std::thread worker(Worker);
  std::printf("ready\n");
  std::fflush(stdout);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  uint64_t x = 1;
  while (std::chrono::steady_clock::now() < end) x = Ten(x);
  g_stop = true;
  worker.join();
  return x == 42 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::string_view(argv[1]) == "qsort") {
    return SortMany(std::atol(argv[2])) == 42 ? 1 : 0;
  }
  if (argc > 2 && std::string_view(argv[1]) == "threads") return Threads(std::atof(argv[2]));
  const long rounds = argc > 1 ? std::atol(argv[1]) : 3000;
  uint64_t x = 1;
  for (long r = 0; r < rounds; ++r) {
    x = Seventy(x);
    x = Twenty(x);
    x = Ten(x);
  }
  return x == 42 ? 1 : 0;  // uses x, and is 0 in practice
}
