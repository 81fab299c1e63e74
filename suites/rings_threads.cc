#include "suites/rings_threads.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "subsystems/base/cpu_relax.h"

namespace perfkit::suites {
namespace {

std::vector<int> ThreadCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

}  // namespace

// Read once, before any benchmark pins the thread that asks.
std::vector<int> AllowedCpus() {
  static const std::vector<int> cpus = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> out;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) out.push_back(c);
    }
    return out;
  }();
  return cpus;
}

bool PinThisThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

AffinityGuard::AffinityGuard() : saved_(ThreadCpus()) {}

AffinityGuard::~AffinityGuard() {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : saved_) CPU_SET(c, &set);
  if (!saved_.empty()) pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int64_t InvoluntarySwitches() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return u.ru_nivcsw;
}

double PingPongFloorNs(int my_cpu, int echo_cpu, int round_trips) {
  struct alignas(64) Line {
    std::atomic<uint64_t> value{0};
  };
  Line ping, pong;
  std::thread echo([&] {
    PinThisThread(echo_cpu);
    for (uint64_t i = 1; i <= static_cast<uint64_t>(round_trips); ++i) {
      while (ping.value.load(std::memory_order_acquire) != i) CpuRelax();
      pong.value.store(i, std::memory_order_release);
    }
  });
  AffinityGuard guard;
  PinThisThread(my_cpu);
  constexpr int kChunk = 64;
  std::vector<double> chunks;
  uint64_t i = 0;
  while (i < static_cast<uint64_t>(round_trips)) {
    const auto start = std::chrono::steady_clock::now();
    const uint64_t end = std::min<uint64_t>(i + kChunk, round_trips);
    const uint64_t n = end - i;
    for (; i < end;) {
      ping.value.store(++i, std::memory_order_release);
      while (pong.value.load(std::memory_order_acquire) != i) CpuRelax();
    }
    chunks.push_back(
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        static_cast<double>(n));
  }
  echo.join();
  std::nth_element(chunks.begin(), chunks.begin() + static_cast<long>(chunks.size() / 2),
                   chunks.end());
  return chunks[chunks.size() / 2];
}

std::string NotConcurrent(double median_ns) {
  return fmt::format(
      "the two threads did not run at the same time (median round trip {:.1f} us, a scheduler "
      "time slice, not a ring): no round-trip figure on time-sliced CPUs",
      median_ns / 1000);
}

}  // namespace perfkit::suites
