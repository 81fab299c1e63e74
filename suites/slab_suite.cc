// Suite slab: our slab allocator (and the buddy allocator beneath it, as the
// baseline) against glibc malloc, mimalloc, jemalloc and tcmalloc in the same
// process, per size class 16..512 B, plus pooled 4 KiB buffers.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "subsystems/base/cpu_caches.h"
#include "subsystems/slab/buddy.h"
#include "subsystems/slab/pool.h"
#include "subsystems/slab/slab.h"
#include "suites/claims.h"
#include "suites/slab_peers.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

constexpr size_t kSlabSizes[] = {16, 32, 64, 128, 256, 512};
constexpr int kBatch = 1000;
constexpr int kHandoff = 256;
constexpr int kBuffers = 16;
constexpr size_t kBufferBytes = 4096;
constexpr int kColdSamples = 201;

struct SlabImpl {
  std::string name;
  Role role;
  void* (*allocate)(size_t);
  void (*free)(void*, size_t);
  bool thread_safe;
};

// One allocator of each of ours for the whole process, as a program would
// have: 1 GiB of reserved pages for the slab, 64 MiB of 16 B blocks for the
// buddy baseline.
slab::SlabAllocator& TheSlab() {
  static const std::unique_ptr<slab::SlabAllocator> slab = [] {
    slab::SlabOptions options;
    options.debug_checks = false;
    auto s = slab::SlabAllocator::Create(options);
    PERFKIT_CHECK(s.ok());
    return std::move(s).value();
  }();
  return *slab;
}

slab::BuddyAllocator& SmallBuddy() {
  static const std::unique_ptr<slab::BuddyAllocator> buddy = [] {
    slab::BuddyOptions options;
    options.min_block = 16;
    options.max_order = 22;
    auto b = slab::BuddyAllocator::Create(options);
    PERFKIT_CHECK(b.ok());
    return std::move(b).value();
  }();
  return *buddy;
}

// Plain pointers, set before any benchmark runs, so our adapters cost what
// the peers' do: one load and a call.
slab::SlabAllocator* g_slab;
slab::BuddyAllocator* g_buddy;
void* SlabAllocate(size_t n) { return g_slab->Allocate(n); }
void SlabFree(void* p, size_t) { g_slab->Free(p); }
void* BuddyAllocate(size_t n) { return g_buddy->Allocate(n); }
void BuddyFree(void* p, size_t n) { g_buddy->Free(p, n); }

// The slab's own view of a benchmark: fast-path hit rate for the size class
// over the timed loop, and metadata over slab memory at its end.
class SlabCounters {
 public:
  SlabCounters(const SlabImpl& impl, size_t size)
      : on_(impl.allocate == &SlabAllocate), size_class_(slab::SizeClassOf(size)) {
    if (on_) before_ = TheSlab().Stats().classes[size_class_];
  }
  void Publish(benchmark::State& state) const {
    if (!on_) return;
    const slab::SlabStats stats = TheSlab().Stats();
    const slab::ClassStats& after = stats.classes[size_class_];
    const double calls =
        static_cast<double>(after.allocations + after.frees - before_.allocations - before_.frees);
    const double fast = static_cast<double>(after.fast_allocations + after.fast_frees -
                                            before_.fast_allocations - before_.fast_frees);
    if (calls > 0) state.counters["fast_path_hit_rate"] = fast / calls;
    state.counters["metadata_ratio"] = stats.MetadataRatio();
  }

 private:
  bool on_;
  int size_class_;
  slab::ClassStats before_;
};

struct Calls {
  void* (*allocate)(size_t);
  void (*free)(void*, size_t);
};
// Hidden from the optimiser, so no call is inlined or folded. Not with
// benchmark::DoNotOptimize: its "+m,r" let GCC 12 drop the load of the
// pointer it hid, and the cold pair called address 0.
Calls Launder(const SlabImpl& impl) {
  Calls calls{impl.allocate, impl.free};
  asm volatile("" : "+r"(calls.allocate), "+r"(calls.free));
  return calls;
}

// Dependent alloc+free pairs of one size: the fast path alone, one object
// hot in L1.
void RunPair(benchmark::State& state, const SlabImpl& impl, size_t size) {
  if (SkipIfStopped(state)) return;
  const auto [allocate, free] = Launder(impl);
  const SlabCounters counters(impl, size);
  for (auto _ : state) {
    void* p = allocate(size);
    *static_cast<char*>(p) = 1;
    benchmark::DoNotOptimize(p);
    free(p, size);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  counters.Publish(state);
}

// Twice the L2 (4 MiB when it is unknown): walked between cold pairs, it
// leaves the allocator's thread state, magazines and objects in L3 or memory.
size_t EvictionBytes() {
  const int64_t l2 = DetectCaches().Bytes("L2");
  return l2 > 0 ? 2 * static_cast<size_t>(l2) : size_t{4} << 20;
}

// The mean of the middle half: robust to an interrupt like a median, but
// finer than the clock's tick (10 ns on some VMs) when samples straddle ticks.
double MiddleMean(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  const size_t quarter = v.size() / 4;
  return std::accumulate(v.begin() + quarter, v.end() - quarter, 0.0) /
         static_cast<double>(v.size() - 2 * quarter);
}

// One alloc+free pair after other work has pushed the allocator's state out
// of L1 and L2, as a program that allocates now and then pays it: here each
// dependent load of a fast path is a miss of its own. An iteration is 201
// pairs, each timed alone, less as many empty spans timed the same way after
// the same walk (the clock's own cost), each side by its middle mean.
void RunColdPair(benchmark::State& state, const SlabImpl& impl, size_t size) {
  if (SkipIfStopped(state)) return;
  const auto [allocate, free] = Launder(impl);
  std::vector<char> other(EvictionBytes());
  const auto walk = [&other] {
    for (size_t i = 0; i < other.size(); i += 64) other[i] = static_cast<char>(other[i] + 1);
    benchmark::ClobberMemory();
  };
  using Clock = std::chrono::steady_clock;
  const auto ns = [](Clock::duration d) {
    return std::chrono::duration<double, std::nano>(d).count();
  };
  std::vector<double> pairs(kColdSamples), spans(kColdSamples);
  for (auto _ : state) {
    for (int i = 0; i < kColdSamples; ++i) {
      walk();
      const auto e0 = Clock::now();
      const auto e1 = Clock::now();
      walk();
      const auto t0 = Clock::now();
      void* p = allocate(size);
      *static_cast<char*>(p) = 1;
      benchmark::DoNotOptimize(p);
      free(p, size);
      const auto t1 = Clock::now();
      pairs[i] = ns(t1 - t0);
      spans[i] = ns(e1 - e0);
    }
    state.SetIterationTime(std::max(MiddleMean(pairs) - MiddleMean(spans), 0.0) * 1e-9);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

enum class Order { kLifo, kFifo, kRandom };

// 1000 objects allocated (first word written), then freed in LIFO, FIFO or
// random order: refills and flushes of the caches, 16-512 KiB live (L1-L2).
void RunBatch(benchmark::State& state, const SlabImpl& impl, size_t size, Order order) {
  if (SkipIfStopped(state)) return;
  std::vector<void*> live(kBatch);
  std::vector<int> free_order(kBatch);
  std::iota(free_order.begin(), free_order.end(), 0);
  if (order == Order::kLifo) std::reverse(free_order.begin(), free_order.end());
  if (order == Order::kRandom) std::shuffle(free_order.begin(), free_order.end(), std::mt19937(42));
  const auto [allocate, free] = Launder(impl);
  const SlabCounters counters(impl, size);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      live[i] = allocate(size);
      *static_cast<uint64_t*>(live[i]) = static_cast<uint64_t>(i);
    }
    benchmark::ClobberMemory();
    for (int i : free_order) free(live[i], size);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
  counters.Publish(state);
}

// The benchmark thread allocates batches of 256 and hands them to a consumer
// thread that frees them, so every free is a cross-thread free. Two hand-off
// slots let both sides work at once.
void RunCrossThread(benchmark::State& state, const SlabImpl& impl, size_t size) {
  if (SkipIfStopped(state)) return;
  struct alignas(64) Slot {
    std::atomic<bool> full{false};
    std::array<void*, kHandoff> items;
  };
  std::array<Slot, 2> slots;
  std::atomic<bool> done{false};
  const Calls calls = Launder(impl);
  std::thread consumer([&] {
    for (int k = 0;; k ^= 1) {
      while (!slots[k].full.load(std::memory_order_acquire)) {
        if (done.load(std::memory_order_acquire)) return;
        std::this_thread::yield();  // two vCPUs: never spin the producer out
      }
      for (void* p : slots[k].items) calls.free(p, size);
      slots[k].full.store(false, std::memory_order_release);
    }
  });
  int k = 0;
  for (auto _ : state) {
    Slot& slot = slots[k];
    while (slot.full.load(std::memory_order_acquire)) std::this_thread::yield();
    for (void*& p : slot.items) {
      p = calls.allocate(size);
      *static_cast<char*>(p) = 1;
    }
    slot.full.store(true, std::memory_order_release);
    k ^= 1;
  }
  for (Slot& slot : slots) {
    while (slot.full.load(std::memory_order_acquire)) std::this_thread::yield();
  }
  done.store(true, std::memory_order_release);
  consumer.join();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kHandoff);
}

// 16 buffers of 4 KiB taken, first cache line written, and given back: the
// churn of an I/O path (64 KiB live, L2).
void RunBuffers(benchmark::State& state, const SlabImpl& impl) {
  if (SkipIfStopped(state)) return;
  std::array<void*, kBuffers> buffers;
  const auto [allocate, free] = Launder(impl);
  for (auto _ : state) {
    for (void*& b : buffers) {
      b = allocate(kBufferBytes);
      std::fill_n(static_cast<uint64_t*>(b), 8, uint64_t{1});
    }
    benchmark::ClobberMemory();
    for (void* b : buffers) free(b, kBufferBytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBuffers);
}

// The pool's acquire/release inline from its header: that is its point.
void RunPooledBuffers(benchmark::State& state) {
  if (SkipIfStopped(state)) return;
  using Buffer = std::array<uint64_t, kBufferBytes / sizeof(uint64_t)>;
  slab::ObjectPool<Buffer> pool(kBuffers);
  std::array<slab::ObjectPool<Buffer>::Handle, kBuffers> buffers;
  for (auto _ : state) {
    for (auto& b : buffers) {
      b = pool.Acquire();
      std::fill_n(b->data(), 8, uint64_t{1});
    }
    benchmark::ClobberMemory();
    for (auto& b : buffers) b.reset();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBuffers);
}

std::vector<SlabImpl> Impls() {
  g_slab = &TheSlab();
  g_buddy = &SmallBuddy();
  std::vector<SlabImpl> impls = {
      {"slab", Role::kOurs, &SlabAllocate, &SlabFree, true},
      {"buddy", Role::kOurs, &BuddyAllocate, &BuddyFree, false},
  };
  for (const AllocatorPeer& p : LoadAllocatorPeers().available) {
    impls.push_back({p.name, Role::kPeer, p.allocate, p.free, true});
  }
  return impls;
}

}  // namespace

SuiteSpec MakeSlabSuite() {
  SuiteSpec suite{
      "slab", "slab allocator against glibc malloc, mimalloc, jemalloc and tcmalloc", {}, {}};
  suite.baseline = "buddy";  // the buddy allocator, what the slab allocator is measured against
  for (const std::string& s : LoadAllocatorPeers().skipped) suite.skipped.push_back(s);
  const std::vector<SlabImpl> impls = Impls();
  auto add = [&](const std::string& op, const SlabImpl& impl, size_t size,
                 std::function<void(benchmark::State&)> fn) {
    suite.benchmarks.push_back(
        {"slab/" + op + "/" + impl.name + "/" + std::to_string(size), impl.role, std::move(fn)});
  };
  for (const SlabImpl& impl : impls) {
    for (size_t size : kSlabSizes) {
      add("pair", impl, size, [impl, size](benchmark::State& s) { RunPair(s, impl, size); });
      add("pair-cold", impl, size,
          [impl, size](benchmark::State& s) { RunColdPair(s, impl, size); });
      suite.benchmarks.back().manual_time = true;
      suite.benchmarks.back().iterations = 3;
      add("batch_lifo", impl, size,
          [impl, size](benchmark::State& s) { RunBatch(s, impl, size, Order::kLifo); });
      add("batch_fifo", impl, size,
          [impl, size](benchmark::State& s) { RunBatch(s, impl, size, Order::kFifo); });
      add("batch_random", impl, size,
          [impl, size](benchmark::State& s) { RunBatch(s, impl, size, Order::kRandom); });
      if (impl.thread_safe) {
        add("xthread", impl, size,
            [impl, size](benchmark::State& s) { RunCrossThread(s, impl, size); });
      }
    }
    if (impl.name != "buddy") {
      add("buffers4k", impl, kBufferBytes, [impl](benchmark::State& s) { RunBuffers(s, impl); });
    }
  }
  suite.benchmarks.push_back(
      {"slab/buffers4k/pool/" + std::to_string(kBufferBytes), Role::kOurs, &RunPooledBuffers});
  suite.skipped.push_back("xthread/buddy: the buddy allocator is not thread-safe");
  // The design documents' comparison: slab against the buddy allocator.
  for (const char* op : {"pair", "batch_random"}) {
    suite.claims.push_back(Ratio(std::string("slab against buddy, ") + op + " of 64 B",
                                 std::string("slab/") + op + "/slab/64",
                                 std::string("slab/") + op + "/buddy/64", "the slab allocator",
                                 "the buddy allocator",
                                 "size classes beat power-of-two splitting (28,000 ns -> 950 ns)"));
  }
  return suite;
}

}  // namespace perfkit::suites
