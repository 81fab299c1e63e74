// The rings suite: perfkit's lock-free rings beside Boost.Lockfree,
// moodycamel and DPDK's rte_ring in one process, and (rings_ipc.cc) the
// shared-memory channel across two processes beside pipes, Unix sockets and
// process_vm_writev. Threads are pinned to two distinct CPUs; the working
// set of every in-process benchmark is the ring itself, a few KiB in L1/L2.
#include <atomic>
#include <chrono>
#include <thread>
#include <tuple>

#include "subsystems/base/cpu_relax.h"
#include "suites/rings_queues.h"
#include "suites/rings_threads.h"
#include "suites/suite.h"

namespace perfkit::suites {

void AddIpcBenchmarks(SuiteSpec& suite);  // rings_ipc.cc

namespace {

constexpr size_t kCapacity = 4096;
constexpr uint64_t kMessages = 1 << 16;  // per iteration of a throughput benchmark
constexpr size_t kBulk = 32;

bool TwoCpus(benchmark::State& state, int* a, int* b) {
  const std::vector<int> cpus = AllowedCpus();
  if (cpus.size() < 2) {
    state.SkipWithError("needs two CPUs to put producer and consumer on");
    return false;
  }
  *a = cpus[0];
  *b = cpus[1];
  return true;
}

// Messages per second from a producer (this thread) to a consumer on the
// other CPU, one at a time or `bulk` per index update. The consumer checks
// that every message arrives once and in order.
void SpscThroughput(benchmark::State& state, const QueueMaker& maker, size_t bulk) {
  int me = 0, other = 0;
  if (StopRequested() || !TwoCpus(state, &me, &other)) return;
  auto q = maker.make(QueueKind::kSpsc, kCapacity);
  alignas(64) std::atomic<uint64_t> received{0};
  alignas(64) std::atomic<bool> stop{false};
  std::atomic<bool> broken{false};
  std::thread consumer([&] {
    PinThisThread(other);
    uint64_t expected = 0, got[kBulk];
    bool bad = false;
    // The count the producer waits for is published when the ring runs dry
    // (or every 1024 messages), not per message: the benchmark's own
    // bookkeeping must not add a shared line to every message.
    uint64_t unpublished = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const size_t n = q->PopBulk(got, bulk);
      for (size_t i = 0; i < n; ++i) bad |= got[i] != expected++;
      unpublished += n;
      if (n == 0 || unpublished >= 1024) {
        if (unpublished > 0) received.store(expected, std::memory_order_release);
        unpublished = 0;
        if (n == 0) CpuRelax();
      }
    }
    if (bad) broken = true;
  });
  AffinityGuard guard;
  PinThisThread(me);
  uint64_t next = 0, batch[kBulk];
  for (auto _ : state) {
    const uint64_t end = next + kMessages;
    while (next < end) {
      const size_t want = std::min<uint64_t>(bulk, end - next);
      for (size_t i = 0; i < want; ++i) batch[i] = next + i;
      const size_t n = q->PushBulk(batch, want);
      next += n;
      if (n == 0) CpuRelax();
    }
    while (received.load(std::memory_order_acquire) != next) CpuRelax();
  }
  stop = true;
  consumer.join();
  if (broken) state.SkipWithError("a message was lost, repeated or reordered");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kMessages));
}

// One round trip per iteration: a message to an echo thread on the other
// CPU and back, through two rings. Beside it, in the same call, the raw
// cache-line ping-pong between the same CPUs: x_floor is the ratio.
void SpscRoundTrip(benchmark::State& state, const QueueMaker& maker) {
  int me = 0, other = 0;
  if (StopRequested() || !TwoCpus(state, &me, &other)) return;
  const double floor_ns = PingPongFloorNs(me, other, 20000);
  auto there = maker.make(QueueKind::kSpsc, kCapacity);
  auto back = maker.make(QueueKind::kSpsc, kCapacity);
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    PinThisThread(other);
    uint64_t v;
    while (!stop.load(std::memory_order_relaxed)) {
      if (there->Pop(&v)) {
        while (!back->Push(v)) CpuRelax();
      } else {
        CpuRelax();
      }
    }
  });
  AffinityGuard guard;
  PinThisThread(me);
  uint64_t v = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    while (!there->Push(++v)) CpuRelax();
    uint64_t got;
    while (!back->Pop(&got)) CpuRelax();
    benchmark::DoNotOptimize(got);
  }
  const double rtt_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  stop = true;
  echo.join();
  if (floor_ns > kTimeSlicedNs || rtt_ns > kTimeSlicedNs) {
    state.SkipWithError(NotConcurrent(std::max(floor_ns, rtt_ns)).c_str());
    return;
  }
  state.counters["floor_ns"] = floor_ns;
  state.counters["x_floor"] = rtt_ns / floor_ns;
}

// The speed of light for a round trip between the two CPUs: a cache line
// each way and nothing else.
void PingPong(benchmark::State& state) {
  int me = 0, other = 0;
  if (StopRequested() || !TwoCpus(state, &me, &other)) return;
  double median = 0;
  for (auto _ : state) {
    state.PauseTiming();
    median = PingPongFloorNs(me, other, 20000);
    state.ResumeTiming();
    state.SetIterationTime(median * 1e-9);
  }
  if (median > kTimeSlicedNs) state.SkipWithError(NotConcurrent(median).c_str());
}

// MPMC: `producers` threads enqueue, `consumers` dequeue; with mixed = true
// every thread both enqueues and dequeues (the contended case). Messages
// per second over all threads.
void Mpmc(benchmark::State& state, const QueueMaker& maker, int producers, int consumers,
          bool mixed) {
  if (StopRequested()) return;
  auto q = maker.make(QueueKind::kMpmc, kCapacity);
  const int threads = mixed ? producers : producers + consumers;
  std::atomic<uint64_t> round{0}, done{0}, consumed{0};
  std::atomic<bool> stop{false};
  const uint64_t per_thread = kMessages / static_cast<uint64_t>(mixed ? threads : producers);
  const uint64_t total = per_thread * static_cast<uint64_t>(mixed ? threads : producers);
  const std::vector<int> cpus = AllowedCpus();
  auto worker = [&](int index) {
    if (!cpus.empty()) PinThisThread(cpus[static_cast<size_t>(index) % cpus.size()]);
    uint64_t seen = 0;
    for (;;) {
      round.wait(seen, std::memory_order_acquire);
      seen = round.load(std::memory_order_acquire);
      if (stop.load()) return;
      const bool produces = mixed || index < producers;
      const bool consumes = mixed || index >= producers;
      // Consumers count locally and publish when the queue runs dry, so the
      // shared count is not a second contended line per message.
      uint64_t sent = 0, local = 0, v;
      int idle = 0;
      for (;;) {
        bool moved = false;
        if (produces && sent < per_thread && q->Push(sent)) {
          ++sent;
          moved = true;
        }
        if (consumes) {
          if (q->Pop(&v)) {
            ++local;
            moved = true;
          } else if (local > 0) {
            consumed.fetch_add(local, std::memory_order_relaxed);
            local = 0;
          }
        }
        // With more threads than CPUs, the thread that would make progress
        // may be waiting for this CPU: after a while, give it up.
        idle = moved ? 0 : idle + 1;
        if (idle > 64) {
          std::this_thread::yield();
          idle = 0;
        }
        if (produces && sent < per_thread) continue;
        if (!consumes || consumed.load(std::memory_order_relaxed) + local >= total) break;
      }
      if (local > 0) consumed.fetch_add(local, std::memory_order_relaxed);
      done.fetch_add(1, std::memory_order_release);
      done.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker, i);
  for (auto _ : state) {
    consumed = 0;
    done = 0;
    round.fetch_add(1, std::memory_order_release);
    round.notify_all();
    for (uint64_t d; (d = done.load(std::memory_order_acquire)) < static_cast<uint64_t>(threads);) {
      done.wait(d);
    }
  }
  stop = true;
  round.fetch_add(1);
  round.notify_all();
  for (auto& t : pool) t.join();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * total));
}

void AddQueueBenchmarks(SuiteSpec& suite) {
  for (const QueueMaker& m : QueueMakers(QueueKind::kSpsc)) {
    if (m.make == nullptr) {
      suite.skipped.push_back("spsc/" + m.name + ": " + m.missing);
      continue;
    }
    suite.benchmarks.push_back({"rings/spsc/" + m.name + "/1", m.role,
                                [m](benchmark::State& s) { SpscThroughput(s, m, 1); }});
    suite.benchmarks.push_back({"rings/spsc-bulk/" + m.name + "/32", m.role,
                                [m](benchmark::State& s) { SpscThroughput(s, m, kBulk); }});
    suite.benchmarks.push_back({"rings/spsc-rtt/" + m.name + "/8", m.role,
                                [m](benchmark::State& s) { SpscRoundTrip(s, m); }});
  }
  BenchmarkSpec floor{"rings/pingpong/cacheline/64", Role::kPeer, &PingPong};
  floor.manual_time = true;
  floor.iterations = 3;
  suite.benchmarks.push_back(std::move(floor));
  for (const QueueMaker& m : QueueMakers(QueueKind::kMpmc)) {
    if (m.make == nullptr) {
      suite.skipped.push_back("mpmc/" + m.name + ": " + m.missing);
      continue;
    }
    for (auto [label, p, c, mixed] :
         {std::tuple{"1p1c", 1, 1, false}, std::tuple{"2p2c", 2, 2, false},
          std::tuple{"4t", 4, 0, true}}) {
      const size_t threads = static_cast<size_t>(mixed ? p : p + c);
      if (m.name == "dpdk" && threads > AllowedCpus().size()) {
        // A multi-producer rte_ring must not be preempted mid-operation
        // (later producers spin until earlier ones publish): with more
        // threads than CPUs one iteration took over a minute here.
        suite.skipped.push_back(
            "mpmc-" + std::string(label) + "/dpdk: rte_ring in MP/MC mode needs " +
            std::to_string(threads) + " CPUs for " + std::to_string(threads) +
            " threads (this machine gives " + std::to_string(AllowedCpus().size()) +
            "): it stalls when preempted");
        continue;
      }
      suite.benchmarks.push_back(
          {"rings/mpmc-" + std::string(label) + "/" + m.name + "/8", m.role,
           [m, p = p, c = c, mixed = mixed](benchmark::State& s) { Mpmc(s, m, p, c, mixed); }});
    }
  }
}

}  // namespace

SuiteSpec MakeRingsSuite() {
  SuiteSpec suite{"rings",
                  "lock-free rings and a zero-copy channel between processes against Boost, "
                  "moodycamel, DPDK, pipes and sockets",
                  {},
                  {}};
  AddQueueBenchmarks(suite);
  AddIpcBenchmarks(suite);
  // Every one of them waits on another thread or process: wall-clock time.
  for (BenchmarkSpec& b : suite.benchmarks) b.real_time = !b.manual_time;
  return suite;
}

}  // namespace perfkit::suites
