#include "subsystems/power/loads.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>

#include "subsystems/power/cpu_usage.h"

namespace perfkit::power {
namespace {

using Clock = std::chrono::steady_clock;
// A duty cycle's period: short against a 100 ms sample, long against a
// scheduler tick.
constexpr auto kPeriod = std::chrono::milliseconds(20);

void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// Runs `work` in slices for duty x kPeriod, then sleeps the rest.
template <typename Work>
void DutyCycle(const std::atomic<bool>& stop, double duty, Work work) {
  while (!stop.load(std::memory_order_relaxed)) {
    const auto start = Clock::now();
    const auto busy_until = start + std::chrono::duration_cast<Clock::duration>(kPeriod * duty);
    while (Clock::now() < busy_until) work();
    if (duty < 1) std::this_thread::sleep_until(start + kPeriod);
  }
}

}  // namespace

std::string LoadSpec::Describe() const {
  switch (kind) {
    case LoadKind::kIntegerMix:
      return fmt::format("integer mix at {:.0f}% per CPU", cpu * 100);
    case LoadKind::kPointerChase:
      return "pointer chase, one thread";
    case LoadKind::kLadder:
      break;
  }
  if (cpu == 0 && mem == 0) return "idle";
  std::string s = fmt::format("cpu {:.0f}%", cpu * 100);
  if (mem > 0) s += fmt::format(", streamer {:.0f}%", mem * 100);
  return s;
}

Load::Load(const LoadSpec& spec) {
  const int cpus = OnlineCpus();
  switch (spec.kind) {
    case LoadKind::kLadder:
      if (spec.cpu > 0) {
        for (int c = 0; c < cpus; ++c)
          threads_.emplace_back([this, c, d = spec.cpu] { Spin(c, d); });
      }
      if (spec.mem > 0) threads_.emplace_back([this, d = spec.mem] { Stream(d); });
      break;
    case LoadKind::kIntegerMix:
      for (int c = 0; c < cpus; ++c) threads_.emplace_back([this, c, d = spec.cpu] { Mix(c, d); });
      break;
    case LoadKind::kPointerChase:
      threads_.emplace_back([this] { Chase(); });
      break;
  }
}

Load::~Load() {
  stop_.store(true);
  for (std::thread& t : threads_) t.join();
}

void Load::Spin(int cpu, double duty) {
  Pin(cpu);
  volatile uint64_t sink = 0;
  DutyCycle(stop_, duty, [&] {
    for (int i = 0; i < 1000; ++i) sink = sink + static_cast<uint64_t>(i);
  });
}

void Load::Stream(double duty) {
  // Twice 64 MiB: more than the last-level cache of most CPUs (not of the
  // largest server parts), so the copies go to memory.
  constexpr size_t kBytes = size_t{64} << 20, kChunk = size_t{1} << 20;
  std::unique_ptr<char[]> a(new char[kBytes]), b(new char[kBytes]);
  std::memset(a.get(), 1, kBytes);
  std::memset(b.get(), 2, kBytes);
  size_t at = 0;
  DutyCycle(stop_, duty, [&] {
    std::memcpy(b.get() + at, a.get() + at, kChunk);
    bytes_.fetch_add(2 * kChunk, std::memory_order_relaxed);  // read and written
    at = (at + kChunk) % kBytes;
  });
}

void Load::Mix(int cpu, double duty) {
  Pin(cpu);
  // Compression's inner loop in miniature: hash 4-byte windows of a buffer
  // that fits in L2, look the hash up, compare what it points at.
  constexpr size_t kBytes = 256 << 10, kTable = 4096;
  std::vector<uint8_t> data(kBytes);
  std::mt19937 rng(static_cast<unsigned>(cpu) + 1);
  for (uint8_t& x : data) x = static_cast<uint8_t>(rng() % 16);  // repetitive, like text
  std::vector<uint32_t> table(kTable, 0);
  volatile uint64_t matched = 0;
  size_t i = 0;
  DutyCycle(stop_, duty, [&] {
    for (int n = 0; n < 512; ++n) {
      uint32_t w;
      std::memcpy(&w, &data[i], 4);
      const uint32_t h = (w * 2654435761u) >> 20;
      const uint32_t prev = table[h % kTable];
      table[h % kTable] = static_cast<uint32_t>(i);
      if (std::memcmp(&data[prev], &data[i], 4) == 0) matched = matched + 1;
      i = (i + 1) % (kBytes - 4);
    }
  });
}

void Load::Chase() {
  constexpr size_t kSlots = (size_t{256} << 20) / 64;  // one slot per cache line
  std::vector<uint32_t> order(kSlots);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin() + 1, order.end(), std::mt19937(7));
  struct alignas(64) Line {
    uint32_t next;
  };
  std::unique_ptr<Line[]> lines(new Line[kSlots]);
  for (size_t k = 0; k < kSlots; ++k) lines[order[k]].next = order[(k + 1) % kSlots];
  uint32_t at = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    for (int n = 0; n < 4096; ++n) at = lines[at].next;
    bytes_.fetch_add(4096 * 64, std::memory_order_relaxed);
  }
  if (at == ~0u) std::abort();  // keeps the chase
}

}  // namespace perfkit::power
