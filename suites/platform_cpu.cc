// The platform suite's CPU groups: a cold-start flag by lock xchg,
// std::atomic<bool>::exchange and test-and-test-and-set; waiting by
// spinning, PAUSE, sched_yield, a futex and nanosleep; what one PAUSE
// costs; false sharing; and branchy against branchless code.
#include <fmt/format.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <random>
#include <thread>

#include "subsystems/base/cpu_relax.h"
#include "subsystems/platform/atomics.h"
#include "subsystems/platform/branches.h"
#include "subsystems/platform/timing.h"
#include "suites/claims.h"
#include "suites/rings_threads.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

using Clock = std::chrono::steady_clock;

// ---- cold-start flag ----

// The flag is already set (the steady state of a cold-start check); what
// each way of asking costs.
struct alignas(64) FlagLine {
  std::atomic<uint8_t> flag{1};
};

using FlagOp = uint8_t (*)(std::atomic<uint8_t>*);

// `contended`: another CPU writes the line all along, so every check
// waits for the line to come back. A template, so the op is inlined.
template <FlagOp op>
void Flag(benchmark::State& state, bool contended) {
  if (StopRequested()) return;
  const std::vector<int> cpus = AllowedCpus();
  if (contended && cpus.size() < 2) {
    state.SkipWithError("needs two CPUs");
    return;
  }
  FlagLine line;
  std::atomic<bool> stop{false};
  std::thread writer;
  if (contended) {
    writer = std::thread([&] {
      PinThisThread(cpus[1]);
      while (!stop.load(std::memory_order_relaxed)) line.flag.store(1, std::memory_order_relaxed);
    });
  }
  AffinityGuard guard;
  if (!cpus.empty()) PinThisThread(cpus[0]);
  const auto start = Clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(op(&line.flag));
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
                    static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  stop = true;
  if (writer.joinable()) writer.join();
  state.counters["tsc_cycles"] = ns * platform::TscGhz();  // at the TSC's rate, not the core's
}

// ---- waiting ----

enum class Wait { kBare, kPause, kYield, kFutex, kNanosleep };

void FutexWait(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
}
void FutexWake(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
          nullptr, 0);
}

double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Each iteration: another CPU sets the flag `delay_ns` after the waiter
// starts waiting; the time is how late the waiter noticed, and cpu_pct how
// much of its CPU the waiting burned.
void Wake(benchmark::State& state, Wait how, int64_t delay_ns) {
  const std::vector<int> cpus = AllowedCpus();
  if (StopRequested() || cpus.size() < 2) {
    if (cpus.size() < 2) state.SkipWithError("needs two CPUs");
    return;
  }
  alignas(64) std::atomic<uint32_t> flag{0};
  alignas(64) std::atomic<uint64_t> go{0};
  alignas(64) std::atomic<int64_t> set_at{0};
  std::atomic<bool> stop{false};
  std::thread waker([&] {
    PinThisThread(cpus[1]);
    for (uint64_t round = 1;; ++round) {
      while (go.load(std::memory_order_acquire) < round) {
        if (stop.load(std::memory_order_relaxed)) return;
        CpuRelax();
      }
      const auto until = Clock::now() + std::chrono::nanoseconds(delay_ns);
      while (Clock::now() < until) CpuRelax();
      set_at.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
      flag.store(1, std::memory_order_release);
      if (how == Wait::kFutex) FutexWake(&flag);
    }
  });
  AffinityGuard guard;
  PinThisThread(cpus[0]);
  double cpu = 0, wall = 0;
  uint64_t round = 0;
  for (auto _ : state) {
    flag.store(0, std::memory_order_relaxed);
    const double cpu0 = ThreadCpuNs();
    const auto t0 = Clock::now();
    go.store(++round, std::memory_order_release);
    while (flag.load(std::memory_order_acquire) == 0) {
      switch (how) {
        case Wait::kBare:
          break;
        case Wait::kPause:
          CpuRelax();
          break;
        case Wait::kYield:
          sched_yield();
          break;
        case Wait::kFutex:
          FutexWait(&flag);
          break;
        case Wait::kNanosleep: {
          const timespec ts{0, 1000};
          nanosleep(&ts, nullptr);
          break;
        }
      }
    }
    const auto seen = Clock::now();
    cpu += ThreadCpuNs() - cpu0;
    wall += std::chrono::duration<double, std::nano>(seen - t0).count();
    const double late = static_cast<double>(seen.time_since_epoch().count() - set_at.load());
    state.SetIterationTime(std::max(late, 0.0) * 1e-9);
  }
  stop = true;
  waker.join();
  state.counters["cpu_pct"] = wall > 0 ? 100 * cpu / wall : 0;
}

// One PAUSE, in TSC cycles and ns (an iteration is one PAUSE).
void PauseCost(benchmark::State& state) {
  platform::PauseCost cost;
  for (auto _ : state) {
    cost = platform::MeasurePause(2000);
    state.SetIterationTime(cost.ns * 1e-9);
  }
  state.counters["tsc_cycles"] = cost.tsc_cycles;
}

// ---- false sharing ----

// Two threads on two CPUs each add to their own counter `kAdds` times;
// `gap` bytes apart (8: the same line). The time is until both are done.
// A virtual CPU can be time-sliced: then the threads take turns, the line
// never bounces and the figure lies. So each thread's CPU time must cover
// nearly all of the run; an attempt where it does not is repeated, and the
// benchmark says so when no attempt ran truly side by side.
constexpr int kAdds = 2000000;
constexpr double kMinConcurrency = 0.9;
constexpr int kAttempts = 10;

struct SideBySide {
  double wall_s = 0;
  double concurrency = 0;  // the smaller thread's CPU time over the run's wall time
};

SideBySide RunPair(const std::vector<int>& cpus, std::atomic<uint64_t>* a, std::atomic<uint64_t>* b,
                   bool locked) {
  Clock::time_point start[2], end[2];
  double cpu_ns[2] = {0, 0};
  std::atomic<int> ready{0};
  auto work = [&](int k, std::atomic<uint64_t>* counter) {
    PinThisThread(cpus[static_cast<size_t>(k)]);
    // Both start together: a thread still being created is not contention.
    ready.fetch_add(1);
    while (ready.load() < 2) CpuRelax();
    const double cpu0 = ThreadCpuNs();
    start[k] = Clock::now();
    (locked ? platform::AddLocked : platform::AddUnlocked)(counter, kAdds);
    end[k] = Clock::now();
    cpu_ns[k] = ThreadCpuNs() - cpu0;
  };
  std::thread other(work, 1, b);
  work(0, a);
  other.join();
  const std::chrono::duration<double> wall =
      std::max(end[0], end[1]) - std::min(start[0], start[1]);
  return {wall.count(), std::min(cpu_ns[0], cpu_ns[1]) * 1e-9 / wall.count()};
}

void FalseSharing(benchmark::State& state, size_t gap, bool locked) {
  const std::vector<int> cpus = AllowedCpus();
  if (StopRequested() || cpus.size() < 2) {
    if (cpus.size() < 2) state.SkipWithError("needs two CPUs");
    return;
  }
  alignas(256) uint8_t memory[512] = {};
  auto* a = reinterpret_cast<std::atomic<uint64_t>*>(memory);
  auto* b = reinterpret_cast<std::atomic<uint64_t>*>(memory + gap);
  AffinityGuard guard;
  int64_t attempts = 0;
  for (auto _ : state) {
    SideBySide best;
    for (int i = 0; i < kAttempts && best.concurrency < kMinConcurrency; ++i, ++attempts) {
      const SideBySide run = RunPair(cpus, a, b, locked);
      if (run.concurrency > best.concurrency) best = run;
    }
    if (best.concurrency < kMinConcurrency) {
      state.SkipWithError(fmt::format("in {} attempts the two threads never ran side by side "
                                      "(at best each had the CPU {:.0f}% of the run: time-sliced "
                                      "CPUs): no false-sharing figure",
                                      kAttempts, best.concurrency * 100)
                              .c_str());
      return;
    }
    state.SetIterationTime(best.wall_s);
  }
  state.counters["attempts_per_figure"] =
      static_cast<double>(attempts) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 2 * kAdds);
}

// ---- branches ----

constexpr size_t kElements = 1 << 20;

// Values 0..999999; sorted, every comparison with a constant pivot (or
// against the reversed array) flips once, so the branch is predictable.
const std::vector<int32_t>& Data(bool sorted, bool reversed = false) {
  static const std::vector<int32_t> random = [] {
    std::vector<int32_t> v(kElements);
    std::mt19937 rng(42);
    for (auto& x : v) x = static_cast<int32_t>(rng() % 1000000);
    return v;
  }();
  static const std::vector<int32_t> random2 = [] {
    std::vector<int32_t> v(kElements);
    std::mt19937 rng(43);
    for (auto& x : v) x = static_cast<int32_t>(rng() % 1000000);
    return v;
  }();
  static const std::vector<int32_t> ascending = [] {
    std::vector<int32_t> v = random;
    std::sort(v.begin(), v.end());
    return v;
  }();
  static const std::vector<int32_t> descending = [] {
    std::vector<int32_t> v = ascending;
    std::reverse(v.begin(), v.end());
    return v;
  }();
  if (sorted) return reversed ? descending : ascending;
  return reversed ? random2 : random;
}

enum class Op { kMin, kSelect, kPartition };

void Branches(benchmark::State& state, Op op, bool branchless, bool sorted) {
  const std::vector<int32_t>& v = Data(sorted);
  const std::vector<int32_t>& w = Data(sorted, /*reversed=*/true);
  std::vector<int32_t> out(kElements), a(kElements, 1), b(kElements, 2);
  const int32_t pivot = 500000;
  for (auto _ : state) {
    switch (op) {
      case Op::kMin:
        (branchless ? platform::MinBranchless : platform::MinBranchy)(v.data(), w.data(),
                                                                      out.data(), kElements);
        break;
      case Op::kSelect:
        (branchless ? platform::SelectBranchless : platform::SelectBranchy)(
            v.data(), a.data(), b.data(), out.data(), kElements, pivot);
        break;
      case Op::kPartition:
        benchmark::DoNotOptimize(
            (branchless ? platform::PartitionBranchless : platform::PartitionBranchy)(
                v.data(), out.data(), kElements, pivot));
        break;
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kElements));
}

std::string Ns(int64_t ns) {
  return ns >= 1000 ? std::to_string(ns / 1000) + "us" : std::to_string(ns) + "ns";
}

}  // namespace

void AddPlatformCpuBenchmarks(SuiteSpec& suite) {
  auto add = [&](std::string name, Role role, std::function<void(benchmark::State&)> fn) {
    suite.benchmarks.push_back({std::move(name), role, std::move(fn)});
  };
  using FlagBenchmark = void (*)(benchmark::State&, bool);
  const std::pair<const char*, FlagBenchmark> flags[] = {
      {"lock-xchg", &Flag<platform::LockXchgFlag>},
      {"atomic-exchange", &Flag<platform::ExchangeFlag>},
      {"ttas", &Flag<platform::TestAndTestAndSetFlag>}};
  for (bool contended : {false, true}) {
    for (const auto& [name, op] : flags) {
      add(std::string("platform/flag-") + (contended ? "contended" : "uncontended") + "/" + name +
              "/1",
          std::string(name) == "lock-xchg" ? Role::kOurs : Role::kPeer,
          [fn = op, contended](benchmark::State& s) { fn(s, contended); });
    }
  }
  const std::pair<const char*, Wait> waits[] = {{"bare", Wait::kBare},
                                                {"pause", Wait::kPause},
                                                {"yield", Wait::kYield},
                                                {"futex", Wait::kFutex},
                                                {"nanosleep", Wait::kNanosleep}};
  for (int64_t delay : {int64_t{100}, int64_t{1000}, int64_t{10000}, int64_t{100000}}) {
    for (const auto& [name, how] : waits) {
      BenchmarkSpec spec{"platform/wake/" + std::string(name) + "/" + Ns(delay),
                         std::string(name) == "pause" ? Role::kOurs : Role::kPeer,
                         [how = how, delay](benchmark::State& s) { Wake(s, how, delay); }};
      spec.manual_time = true;
      spec.iterations = delay >= 100000 ? 100 : 1000;
      suite.benchmarks.push_back(std::move(spec));
    }
  }
  BenchmarkSpec pause{"platform/pause/cost/1", Role::kOurs, &PauseCost};
  pause.manual_time = true;
  pause.iterations = 20;
  suite.benchmarks.push_back(std::move(pause));
  for (bool locked : {false, true}) {
    for (size_t gap : {size_t{8}, size_t{64}, size_t{128}}) {
      BenchmarkSpec spec{std::string("platform/false-sharing-") + (locked ? "xadd" : "store") +
                             "/" + (gap == 8 ? "same-line" : "pad" + std::to_string(gap)) + "/2",
                         gap == 8 ? Role::kPeer : Role::kOurs,
                         [gap, locked](benchmark::State& s) { FalseSharing(s, gap, locked); }};
      spec.manual_time = true;
      suite.benchmarks.push_back(std::move(spec));
    }
  }
  for (auto [opname, op] : {std::pair{"min", Op::kMin}, std::pair{"select", Op::kSelect},
                            std::pair{"partition", Op::kPartition}}) {
    for (bool sorted : {true, false}) {
      for (bool branchless : {false, true}) {
        add(std::string("platform/") + opname + "-" + (sorted ? "sorted" : "random") + "/" +
                (branchless ? "branchless" : "branchy") + "/1048576",
            branchless ? Role::kOurs : Role::kPeer,
            [op = op, branchless, sorted](benchmark::State& s) {
              Branches(s, op, branchless, sorted);
            });
      }
    }
  }
  suite.claims.push_back(Ratio("cold-start flag, set, uncontended",
                               "platform/flag-uncontended/lock-xchg/1",
                               "platform/flag-uncontended/atomic-exchange/1", "lock xchg",
                               "std::atomic<bool>::exchange", "LOCK XCHG 2.76x faster"));
  suite.claims.push_back(Ratio("cold-start flag, set, uncontended",
                               "platform/flag-uncontended/ttas/1",
                               "platform/flag-uncontended/lock-xchg/1", "load-then-exchange",
                               "lock xchg", "LOCK XCHG 2.76x faster", false));
  suite.claims.push_back(Ratio("spin-wait, 1 us", "platform/wake/pause/1us",
                               "platform/wake/yield/1us", "waking from a PAUSE loop",
                               "from sched_yield", "PAUSE spin-waits cheaper than yielding"));
  for (const char* how : {"store", "xadd"}) {
    const std::string prefix = std::string("platform/false-sharing-") + how + "/";
    suite.claims.push_back(Ratio(std::string("false sharing, ") +
                                     (how == std::string("xadd") ? "lock xadd" : "plain stores"),
                                 prefix + "pad64/2", prefix + "same-line/2", "padded to 64 bytes",
                                 "the same line", "avoid false sharing"));
  }
  suite.claims.push_back(Ratio("branches, random data", "platform/min-random/branchless/1048576",
                               "platform/min-random/branchy/1048576", "branchless min", "branchy",
                               "branchless min"));
  suite.claims.push_back(Ratio("branches, sorted data", "platform/min-sorted/branchless/1048576",
                               "platform/min-sorted/branchy/1048576", "branchless min", "branchy",
                               "branchless min"));
}

}  // namespace perfkit::suites
