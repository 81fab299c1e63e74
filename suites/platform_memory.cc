// The platform suite's memory groups: software prefetch at distances 0-64
// over a random gather and a sequential sum (64 MiB, beyond every cache
// level here), pointer chasing with and without prefetching the next node,
// random reads over 256 MiB with 4 KiB pages, transparent huge pages and
// MAP_HUGETLB, NUMA placement, 4 KiB buffers from a pool against malloc and
// mmap, and first touch of 64 MiB by page faults against MAP_POPULATE.
#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>

#include "subsystems/platform/hugepages.h"
#include "subsystems/slab/pool.h"
#include "suites/claims.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

constexpr size_t kFloats = size_t{16} << 20;  // 64 MiB of floats
constexpr size_t kGather = size_t{1} << 20;   // per iteration

struct GatherData {
  std::vector<float> data;
  std::vector<uint32_t> index;  // a random permutation
  GatherData() : data(kFloats), index(kFloats) {
    std::iota(data.begin(), data.end(), 0.0f);
    std::iota(index.begin(), index.end(), 0u);
    std::shuffle(index.begin(), index.end(), std::mt19937(7));
  }
};

const GatherData& Gather() {
  static const GatherData g;
  return g;
}

// Sums data[index[i]], prefetching `distance` elements ahead (0: none).
void PrefetchGather(benchmark::State& state, size_t distance, bool random) {
  const GatherData& g = Gather();
  size_t start = 0;
  for (auto _ : state) {
    float sum = 0;
    const size_t end = start + kGather;
    for (size_t i = start; i < end; ++i) {
      const size_t at = random ? g.index[i] : i;
      if (distance > 0) {
        const size_t ahead = random ? g.index[(i + distance) % kFloats] : (i + distance) % kFloats;
        __builtin_prefetch(&g.data[ahead]);
      }
      sum += g.data[at];
    }
    benchmark::DoNotOptimize(sum);
    start = end % kFloats;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kGather));
}

// A linked list whose nodes lie in random order over 64 MiB; some work per
// node, which a prefetch of the next node can overlap with its miss.
struct Node {
  Node* next;
  uint64_t payload;
  uint8_t pad[48];
};

Node* List() {
  static const std::unique_ptr<Node[]> nodes = [] {
    const size_t n = (size_t{64} << 20) / sizeof(Node);
    std::unique_ptr<Node[]> v(new Node[n]);
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin() + 1, order.end(), std::mt19937(9));
    for (size_t i = 0; i < n; ++i) {
      v[order[i]].next = &v[order[(i + 1) % n]];
      v[order[i]].payload = i;
    }
    return v;
  }();
  return &nodes[0];
}

void Chase(benchmark::State& state, bool prefetch) {
  Node* n = List();
  constexpr int kHops = 1 << 16;
  for (auto _ : state) {
    uint64_t acc = 0;
    for (int i = 0; i < kHops; ++i) {
      if (prefetch) __builtin_prefetch(n->next);
      uint64_t x = n->payload;
      for (int k = 0; k < 16; ++k) x = x * 6364136223846793005ull + 1;  // the node's work
      acc += x;
      n = n->next;
    }
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kHops);
}

// ---- pages and the TLB ----

constexpr size_t kRegion = size_t{256} << 20;
constexpr const char* kHugePagesClaim = "huge pages for a 256 MiB heap cut TLB misses";
constexpr const char* kNumaClaim = "NUMA-aware placement";

// Mapped on first use and kept: touching 256 MiB takes longer than reading it.
const Result<platform::Region>& RegionFor(platform::PageMode mode) {
  using platform::PageMode;
  using platform::Region;
  switch (mode) {
    case PageMode::kSmall: {
      static const Result<Region> small = Region::Map(kRegion, mode);
      return small;
    }
    case PageMode::kTransparentHuge: {
      static const Result<Region> thp = Region::Map(kRegion, mode);
      return thp;
    }
    case PageMode::kHugeTlb:
      break;
  }
  static const Result<Region> hugetlb = Region::Map(kRegion, mode);
  return hugetlb;
}

// Dependent random 8-byte reads: each address depends on the last value,
// so every TLB miss is paid in full.
void RandomReads(benchmark::State& state, platform::PageMode mode) {
  const auto& region = RegionFor(mode);
  if (!region.ok()) {
    state.SkipWithError(region.error().c_str());
    return;
  }
  const uint8_t* base = region->data();
  constexpr int kReads = 1 << 16;
  uint64_t pos = 12345;
  for (auto _ : state) {
    for (int i = 0; i < kReads; ++i) {
      uint64_t v;
      std::memcpy(&v, base + pos, sizeof v);
      pos = ((pos + v) * 6364136223846793005ull + 1442695040888963407ull) % (kRegion - 8) & ~7ull;
    }
  }
  benchmark::DoNotOptimize(pos);
  const size_t page = mode == platform::PageMode::kSmall ? 4096 : size_t{2} << 20;
  state.counters["huge_granted_mib"] = static_cast<double>(region->GrantedHugeBytes() >> 20);
  state.counters["tlb_entries_needed"] = static_cast<double>(kRegion) / static_cast<double>(page);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kReads);
  if (mode == platform::PageMode::kTransparentHuge && region->GrantedHugeBytes() == 0) {
    state.SetLabel("the kernel granted no huge pages (transparent_hugepage is " +
                   platform::TransparentHugePageMode() + ")");
  }
}

// ---- NUMA ----

// libnuma, loaded at run time (it is in libnuma1, which most systems have).
struct Numa {
  int (*available)() = nullptr;
  int (*max_node)() = nullptr;
  void* (*alloc_onnode)(size_t, int) = nullptr;
  void (*free)(void*, size_t) = nullptr;
  int (*run_on_node)(int) = nullptr;
  std::string missing;
};

const Numa& NumaApi() {
  static const Numa api = [] {
    Numa n;
    void* h = dlopen("libnuma.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      n.missing = "libnuma.so.1 not found (apt-get install libnuma1)";
      return n;
    }
    n.available = reinterpret_cast<int (*)()>(dlsym(h, "numa_available"));
    n.max_node = reinterpret_cast<int (*)()>(dlsym(h, "numa_max_node"));
    n.alloc_onnode = reinterpret_cast<void* (*)(size_t, int)>(dlsym(h, "numa_alloc_onnode"));
    n.free = reinterpret_cast<void (*)(void*, size_t)>(dlsym(h, "numa_free"));
    n.run_on_node = reinterpret_cast<int (*)(int)>(dlsym(h, "numa_run_on_node"));
    if (!n.available || !n.max_node || !n.alloc_onnode || !n.free || !n.run_on_node) {
      n.missing = "libnuma.so.1 lacks the calls perfkit uses";
    } else if (n.available() < 0) {
      n.missing = "the kernel has no NUMA support";
    } else if (n.max_node() < 1) {
      n.missing = "one NUMA node here: local and remote memory are the same";
    }
    return n;
  }();
  return api;
}

// Random dependent reads over 64 MiB on `node`, from a thread on node 0.
void NumaReads(benchmark::State& state, int node) {
  const Numa& numa = NumaApi();
  constexpr size_t kBytes = size_t{64} << 20;
  auto* p = static_cast<uint8_t*>(numa.alloc_onnode(kBytes, node));
  if (p == nullptr) {
    state.SkipWithError("numa_alloc_onnode failed");
    return;
  }
  std::memset(p, 1, kBytes);
  numa.run_on_node(0);
  uint64_t pos = 1;
  for (auto _ : state) {
    for (int i = 0; i < (1 << 16); ++i) {
      uint64_t v;
      std::memcpy(&v, p + pos, sizeof v);
      pos = ((pos + v) * 6364136223846793005ull + 1) % (kBytes - 8) & ~7ull;
    }
  }
  benchmark::DoNotOptimize(pos);
  numa.free(p, kBytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) << 16);
}

// ---- buffers ----

using Page = std::array<uint8_t, 4096>;
constexpr int kBuffers = 16;

void Buffers(benchmark::State& state, const std::string& how) {
  static slab::ObjectPool<Page> pool;
  using Malloc = void* (*)(size_t);
  using Free = void (*)(void*);
  static const auto libc_malloc = reinterpret_cast<Malloc>(dlsym(RTLD_DEFAULT, "malloc"));
  static const auto libc_free = reinterpret_cast<Free>(dlsym(RTLD_DEFAULT, "free"));
  for (auto _ : state) {
    if (how == "pool") {
      slab::ObjectPool<Page>::Handle held[kBuffers];
      for (auto& h : held) {
        h = pool.Acquire();
        (*h)[0] = 1;
      }
    } else if (how == "malloc") {
      void* held[kBuffers];
      for (auto& h : held) {
        h = libc_malloc(4096);
        static_cast<uint8_t*>(h)[0] = 1;
      }
      for (void* h : held) libc_free(h);
    } else {
      void* held[kBuffers];
      for (auto& h : held) {
        h = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        static_cast<uint8_t*>(h)[0] = 1;
      }
      for (void* h : held) munmap(h, 4096);
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBuffers);
}

// 64 MiB mapped and every page written: faulted one by one, or populated
// by mmap itself.
void FirstTouch(benchmark::State& state, bool populate) {
  constexpr size_t kBytes = size_t{64} << 20;
  for (auto _ : state) {
    void* p = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0);
    if (p == MAP_FAILED) {
      state.SkipWithError("mmap failed");
      return;
    }
    madvise(p, kBytes, MADV_NOHUGEPAGE);  // 4 KiB faults, the case being measured
    for (size_t i = 0; i < kBytes; i += 4096) static_cast<uint8_t*>(p)[i] = 1;
    munmap(p, kBytes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBytes);
}

}  // namespace

void AddPlatformMemoryBenchmarks(SuiteSpec& suite) {
  auto add = [&](std::string name, Role role, std::function<void(benchmark::State&)> fn) {
    suite.benchmarks.push_back({std::move(name), role, std::move(fn)});
  };
  for (size_t d :
       {size_t{0}, size_t{2}, size_t{4}, size_t{8}, size_t{16}, size_t{32}, size_t{64}}) {
    add("platform/prefetch-random/dist" + std::to_string(d) + "/64MiB",
        d == 0 ? Role::kPeer : Role::kOurs,
        [d](benchmark::State& s) { PrefetchGather(s, d, true); });
  }
  for (size_t d : {size_t{0}, size_t{8}}) {
    add("platform/prefetch-seq/dist" + std::to_string(d) + "/64MiB",
        d == 0 ? Role::kPeer : Role::kOurs,
        [d](benchmark::State& s) { PrefetchGather(s, d, false); });
  }
  add("platform/pointer-chase/plain/64MiB", Role::kPeer,
      [](benchmark::State& s) { Chase(s, false); });
  add("platform/pointer-chase/prefetch-next/64MiB", Role::kOurs,
      [](benchmark::State& s) { Chase(s, true); });
  Claim hugetlb_claim =
      Ratio("huge pages, MAP_HUGETLB", "platform/tlb/hugetlb/256MiB", "platform/tlb/4k/256MiB",
            "reserved huge pages", "4 KiB pages", kHugePagesClaim);
  for (auto mode : {platform::PageMode::kSmall, platform::PageMode::kTransparentHuge,
                    platform::PageMode::kHugeTlb}) {
    const bool hugetlb = mode == platform::PageMode::kHugeTlb;
    bool reserved = false;
    for (const auto& size : platform::ReadHugePages()) {
      reserved |= size.bytes == (int64_t{2} << 20) && size.free * size.bytes >= int64_t{kRegion};
    }
    if (hugetlb && !reserved) {
      const std::string why = fmt::format(
          "not enough 2 MiB huge pages reserved for 256 MiB (sudo sysctl vm.nr_hugepages={} "
          "reserves them)",
          kRegion >> 21);
      suite.skipped.push_back("tlb/hugetlb: " + why);
      hugetlb_claim = NotMeasured("huge pages, MAP_HUGETLB", why, kHugePagesClaim);
      continue;
    }
    add(std::string("platform/tlb/") + platform::PageModeName(mode) + "/256MiB",
        mode == platform::PageMode::kSmall ? Role::kPeer : Role::kOurs,
        [mode](benchmark::State& s) { RandomReads(s, mode); });
  }
  if (!NumaApi().missing.empty()) {
    suite.skipped.push_back("numa: " + NumaApi().missing);
  } else {
    add("platform/numa/local/64MiB", Role::kOurs, [](benchmark::State& s) { NumaReads(s, 0); });
    add("platform/numa/remote/64MiB", Role::kPeer, [](benchmark::State& s) { NumaReads(s, 1); });
  }
  for (const char* how : {"pool", "malloc", "mmap"}) {
    add(std::string("platform/buffers4k/") + how + "/16",
        std::string(how) == "pool" ? Role::kOurs : Role::kPeer,
        [h = std::string(how)](benchmark::State& s) { Buffers(s, h); });
  }
  add("platform/first-touch/faults/64MiB", Role::kPeer,
      [](benchmark::State& s) { FirstTouch(s, false); });
  add("platform/first-touch/populate/64MiB", Role::kOurs,
      [](benchmark::State& s) { FirstTouch(s, true); });

  suite.claims.push_back([](const Measured& m) -> std::optional<ClaimResult> {
    double best = 0, none = 0;
    std::string best_name;
    for (const auto& [name, t] : m.medians) {
      if (name.rfind("platform/prefetch-random/dist", 0) != 0) continue;
      const std::string d = name.substr(29, name.find('/', 29) - 29);
      if (d == "0") none = t;
      if (d != "0" && (best == 0 || t < best)) {
        best = t;
        best_name = d;
      }
    }
    if (best == 0 || none == 0) return std::nullopt;
    ClaimResult r =
        Said("prefetching a random gather",
             fmt::format("prefetching a random gather: {} elements ahead is best, {:.2f}x the "
                         "loop without (claim: prefetch 8 elements ahead)",
                         best_name, none / best));
    r.value = std::stod(best_name);
    r.has_value = true;
    r.unit = "elements ahead, the best distance";
    r.target = "8";
    r.status = best_name == "8" ? ClaimStatus::kMet : ClaimStatus::kNotMet;
    return r;
  });
  suite.claims.push_back(Ratio("pointer chasing", "platform/pointer-chase/prefetch-next/64MiB",
                               "platform/pointer-chase/plain/64MiB", "prefetching the next node",
                               "no prefetch", "prefetch ahead of use"));
  suite.claims.push_back(Ratio("huge pages, random reads over 256 MiB", "platform/tlb/thp/256MiB",
                               "platform/tlb/4k/256MiB", "transparent huge pages", "4 KiB pages",
                               kHugePagesClaim));
  suite.claims.push_back(std::move(hugetlb_claim));
  suite.claims.push_back(NumaApi().missing.empty()
                             ? Ratio("NUMA", "platform/numa/local/64MiB",
                                     "platform/numa/remote/64MiB", "local memory", "remote",
                                     kNumaClaim)
                             : NotMeasured("NUMA", NumaApi().missing, kNumaClaim));
  suite.claims.push_back(Ratio("4 KiB buffers", "platform/buffers4k/pool/16",
                               "platform/buffers4k/malloc/16", "the pool", "malloc/free",
                               "pooled buffers 50x faster than direct allocation"));
  suite.claims.push_back(Ratio("4 KiB buffers", "platform/buffers4k/pool/16",
                               "platform/buffers4k/mmap/16", "the pool", "mmap/munmap",
                               "pooled buffers 50x faster than direct allocation"));
}

}  // namespace perfkit::suites
