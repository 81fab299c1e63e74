// Suite memops: each operation x engine x size beside glibc's own functions
// (fetched with dlsym, called through pointers). Sizes run from 1 B (call
// overhead) through L1/L2/L3 to 4x the last-level cache (DRAM). "hot" works
// on the first n bytes of fixed buffers, so it stays in the cache level n
// fits; "cold" rotates through buffers larger than the LLC, so every call
// misses; "unaligned" is hot with the operands off 64-byte alignment;
// "mixed" draws sizes 1..256 from a skewed distribution so the branch
// predictor cannot learn the size; "fixed" is CopyFixed<N> inlined;
// "stores" checks the streaming threshold against a measured crossover.
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "subsystems/base/bytes.h"
#include "subsystems/memops/memops.h"
#include "subsystems/memops/memops_fixed.h"
#include "suites/claims.h"
#include "suites/engine_choice.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

using memops::CompareFn;
using memops::CopyFn;
using memops::SetFn;

struct Impl {
  std::string name;
  Role role;
  CopyFn copy, move;
  CompareFn compare;
  SetFn set;
};

// The sizes scale with the last-level cache, from CPUID (/sys where CPUID
// says nothing). With its size unknown perfkit never streams by default, and
// the suite assumes 32 MiB (said in its "used here" line).
constexpr size_t kAssumedLastLevelCache = size_t{32} << 20;
size_t DetectedLastLevelCache() {
  static const size_t bytes = static_cast<size_t>(DetectCaches().LastLevelBytes());
  return bytes;
}
bool CacheKnown() { return DetectedLastLevelCache() != 0; }
size_t LastLevelCache() { return CacheKnown() ? DetectedLastLevelCache() : kAssumedLastLevelCache; }
size_t BufferBytes() { return 4 * LastLevelCache(); }

// Two sources with identical random contents (compare needs equal data)
// and a destination, each grown to what the benchmarks that run need before
// their timed loops, and only those an operation touches: 14 small copies
// take kilobytes; a cold copy rotates through 4x the LLC in a source and the
// destination. (They were 3 x 4 x LLC for any selection: 384 MiB for a
// 32 MiB L3, 5.6 GiB for a VM's 480 MiB.)
struct Buffer {
  std::unique_ptr<uint8_t[]> data;
  size_t size = 0;
};

enum class Op { kCopy, kMove, kCompare, kSet };

uint8_t* Aligned(uint8_t* p) {
  return reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(p) + 63) & ~uintptr_t{63});
}

// Random bytes from the 64-byte aligned start the benchmarks use, the same
// at every size, so that a and b stay equal; or zeros (make_unique's).
// (Filled from the allocation's own start, two buffers whose starts sat
// differently against 64 bytes differed from the first byte: compare
// returned at once and timed nothing, in a run that selected small sizes.)
void Grow(Buffer& buffer, size_t bytes, bool random) {
  if (bytes <= buffer.size) return;
  auto data = std::make_unique<uint8_t[]>(bytes + 64);
  if (random) {
    uint8_t* start = Aligned(data.get());
    std::mt19937_64 rng(7);
    for (size_t i = 0; i < bytes; i += 8) {
      const uint64_t v = rng();
      std::memcpy(start + i, &v, std::min<size_t>(8, bytes - i));
    }
  }
  buffer = {std::move(data), bytes};
}

// The 64-byte aligned starts of the buffers `op` uses, grown to `bytes`; an
// operation's unused operand points into one it uses, never past it.
struct Views {
  uint8_t* dst;
  const uint8_t* a;
  const uint8_t* b;
};

Views SharedViews(Op op, size_t bytes) {
  static Buffer a, b, dst;
  if (op != Op::kSet) Grow(a, bytes, true);
  if (op == Op::kCompare) Grow(b, bytes, true);
  if (op != Op::kCompare) Grow(dst, bytes, false);
  Views v{};
  v.a = op == Op::kSet ? Aligned(dst.data.get()) : Aligned(a.data.get());
  v.b = op == Op::kCompare ? Aligned(b.data.get()) : v.a;
  v.dst = op == Op::kCompare ? Aligned(a.data.get()) : Aligned(dst.data.get());
  return v;
}

// A compare of unequal data returns at the first difference and times
// nothing of the size it is named for: refused, not reported. Sources are
// written only when they grow, so a span found equal stays so.
bool ComparesEqualData(benchmark::State& state, Op op, const uint8_t* a, const uint8_t* b,
                       size_t bytes) {
  static const uint8_t *checked_a = nullptr, *checked_b = nullptr;
  static size_t checked_bytes = 0;
  if (op != Op::kCompare) return true;
  if (a == checked_a && b == checked_b && bytes <= checked_bytes) return true;
  if (std::memcmp(a, b, bytes) != 0) {
    state.SkipWithError("compare's two buffers differ: it would time an early return");
    return false;
  }
  checked_a = a;
  checked_b = b;
  checked_bytes = bytes;
  return true;
}

// One call of `op` on (dst, a, b) of n bytes.
inline void Call(const Impl& impl, Op op, uint8_t* dst, const uint8_t* a, const uint8_t* b,
                 size_t n) {
  switch (op) {
    case Op::kCopy:
      impl.copy(dst, a, n);
      break;
    case Op::kMove:
      impl.move(dst, a, n);
      break;
    case Op::kCompare:
      benchmark::DoNotOptimize(impl.compare(a, b, n));
      break;
    case Op::kSet:
      impl.set(dst, 0x5a, n);
      break;
  }
  benchmark::ClobberMemory();
}

// Where "unaligned" puts the operands against 64 bytes: a destination 1
// byte in and its source 33 in, so their lines split in different places;
// a compare's two operands both 17 bytes in, as their data are equal only
// at the same offsets.
struct Offsets {
  size_t dst = 0, a = 0, b = 0;
};
Offsets OffsetsFor(Op op, bool unaligned) {
  if (!unaligned) return {};
  return op == Op::kCompare ? Offsets{0, 17, 17} : Offsets{1, 33, 0};
}

void RunHot(benchmark::State& state, const Impl& impl, Op op, size_t n, bool cold,
            bool unaligned = false) {
  if (StopRequested()) {
    state.SkipWithError("interrupted");
    return;
  }
  const size_t stride = (n + 63) & ~size_t{63};
  const size_t slots = cold ? std::max<size_t>(1, BufferBytes() / stride) : 1;
  const Offsets o = OffsetsFor(op, unaligned);
  const auto [dst0, a0, b0] = SharedViews(op, slots * stride + (unaligned ? 64 : 0));
  uint8_t* const dst = dst0 + o.dst;
  const uint8_t *const a = a0 + o.a, *const b = b0 + o.b;
  if (!ComparesEqualData(state, op, a, b, (slots - 1) * stride + n)) return;
  size_t slot = 0;
  for (auto _ : state) {
    const size_t off = slot * stride;
    Call(impl, op, dst + off, a + off, b + off, n);
    if (++slot == slots) slot = 0;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

// Sizes 1..256, four in five below 64: what small-copy heavy code sees.
const std::vector<uint32_t>& MixedSizes() {
  static const std::vector<uint32_t> sizes = [] {
    std::vector<uint32_t> v(4096);
    std::mt19937 rng(11);
    std::uniform_int_distribution<uint32_t> small(1, 63), large(64, 256);
    std::bernoulli_distribution is_small(0.8);
    for (auto& s : v) s = is_small(rng) ? small(rng) : large(rng);
    return v;
  }();
  return sizes;
}

void RunMixed(benchmark::State& state, const Impl& impl, Op op) {
  if (StopRequested()) {
    state.SkipWithError("interrupted");
    return;
  }
  const auto [dst, a, b] = SharedViews(op, 256 + 64);  // the largest size and offset
  if (!ComparesEqualData(state, op, a, b, 256 + 64)) return;
  const auto& sizes = MixedSizes();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const size_t n = sizes[i];
    i = (i + 1) & (sizes.size() - 1);
    bytes += n;
    // Offsets move with i so that alignment varies too.
    Call(impl, op, dst + (i & 63), a + (i & 31), b + (i & 31), n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

template <size_t N>
void RunFixed(benchmark::State& state) {
  const auto [dst, a, b] = SharedViews(Op::kCopy, N);
  for (auto _ : state) {
    memops::CopyFixed<N>(dst, a);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(N));
}

void RunFixedPeer(benchmark::State& state, CopyFn copy, size_t n) {
  const auto [dst, a, b] = SharedViews(Op::kCopy, n);
  benchmark::DoNotOptimize(copy);
  for (auto _ : state) {
    copy(dst, a, n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

std::vector<size_t> HotSizes() {
  std::vector<size_t> sizes = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256};
  for (size_t p = 512; p <= BufferBytes(); p *= 2) {
    sizes.push_back(p * 3 / 4);  // 384, 768, ...: the 1.5x steps between powers of two
    sizes.push_back(p);
  }
  return sizes;
}

std::vector<Impl> Impls(SuiteSpec& suite) {
  std::vector<Impl> impls;
  for (const memops::Engine& e : memops::AllEngines()) {
    if (!e.available()) {
      suite.skipped.push_back(std::string(e.name) + ": " + std::string(e.missing));
      continue;
    }
    impls.push_back({std::string(e.name), Role::kOurs, e.copy, e.move, e.compare, e.set});
  }
  impls.push_back({"glibc", Role::kPeer, reinterpret_cast<CopyFn>(dlsym(RTLD_DEFAULT, "memcpy")),
                   reinterpret_cast<CopyFn>(dlsym(RTLD_DEFAULT, "memmove")),
                   reinterpret_cast<CompareFn>(dlsym(RTLD_DEFAULT, "memcmp")),
                   reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "memset"))});
  return impls;
}

template <size_t N>
void AddFixed(SuiteSpec& suite, CopyFn glibc) {
  const std::string size = std::to_string(N);
  suite.benchmarks.push_back({"memops/copy-fixed/inline/" + size, Role::kOurs, &RunFixed<N>});
  suite.benchmarks.push_back({"memops/copy-fixed/glibc/" + size, Role::kPeer,
                              [glibc](benchmark::State& s) { RunFixedPeer(s, glibc, N); }});
}

// Where streaming stores start to win, measured rather than derived: the
// best engine's copy and set with the threshold moved to "never" and to
// "always", from the L2 size (1/8 of the last-level cache when it is
// unknown) to 4x the last-level cache. Not from a fraction of the L3: a
// VM's CPUID reports the whole socket's, which other tenants share, and on
// a Xeon that reported 260 MiB streaming won from 2 MiB (perfkit tune).
std::vector<size_t> CrossoverSizes() {
  static const size_t l2 = static_cast<size_t>(DetectCaches().Bytes("L2"));
  std::vector<size_t> sizes;
  for (size_t n = l2 > 0 ? l2 : LastLevelCache() / 8; n <= BufferBytes(); n *= 2) {
    sizes.push_back(n);
  }
  return sizes;
}

void RunStores(benchmark::State& state, Op op, size_t n, bool streaming) {
  const memops::Engine& e = memops::BestEngine();
  const Impl best{std::string(e.name), Role::kOurs, e.copy, e.move, e.compare, e.set};
  memops::ScopedNonTemporalThreshold moved(streaming ? 0 : SIZE_MAX);
  RunHot(state, best, op, n, false);
}

// "copy, streaming against cached stores: 4 MiB 0.45x, ...: streaming wins
// from 32 MiB; perfkit streams copies from 16 MiB, where cached stores
// still win". `streams(n)` is whether perfkit's threshold streams n bytes.
Claim StreamingCrossover(const std::string& op, bool (*streams)(size_t)) {
  return [op, streams](const Measured& m) -> std::optional<ClaimResult> {
    const std::string topic = op + ", streaming against cached stores";
    std::string ratios;
    std::vector<std::pair<size_t, double>> measured;
    for (size_t n : CrossoverSizes()) {
      const std::string cached = "memops/" + op + "-stores/cached/" + std::to_string(n);
      const std::string streamed = "memops/" + op + "-stores/streaming/" + std::to_string(n);
      if (const std::string error = FirstError(m, {cached, streamed}); !error.empty()) {
        return Unmeasured(topic, error);
      }
      const auto c = m.medians.find(cached), s = m.medians.find(streamed);
      if (c == m.medians.end() || s == m.medians.end() || !(s->second > 0)) continue;
      measured.emplace_back(n, c->second / s->second);
      ratios += fmt::format("{}{} {:.2f}x", ratios.empty() ? "" : ", ",
                            FormatBytes(static_cast<int64_t>(n)), c->second / s->second);
    }
    if (measured.empty()) return std::nullopt;
    // The smallest size from which streaming won at every size measured.
    std::optional<size_t> wins;
    for (auto it = measured.rbegin(); it != measured.rend() && it->second > 1; ++it) {
      wins = it->first;
    }
    std::optional<size_t> ours;
    for (const auto& [n, ratio] : measured) {
      if (streams(n)) {
        ours = n;
        break;
      }
    }
    const std::string won = wins ? "streaming wins from " + FormatBytes(static_cast<int64_t>(*wins))
                                 : "streaming did not win at the largest size";
    std::string verdict;
    if (!CacheKnown()) {
      verdict = "perfkit never streams here (the cache size is unknown)";
    } else if (ours == wins) {
      verdict = "perfkit's threshold agrees";
    } else if (!ours) {
      verdict = "perfkit does not stream at any of these sizes";
    } else {
      verdict = fmt::format(
          "perfkit streams {} from {}, {}{}", op == "copy" ? "copies" : "sets",
          FormatBytes(static_cast<int64_t>(*ours)),
          !wins || *ours < *wins ? "where cached stores still win" : "later than the crossover",
          memops::StreamingTuned() ? "" : " (perfkit tune measures it for this host)");
    }
    ClaimResult r = Said(topic, fmt::format("{}: {}: {}; {}", topic, ratios, won, verdict));
    r.target = "perfkit streams from where streaming starts to win";
    if (wins) {
      r.value = static_cast<double>(*wins) / (1 << 20);
      r.has_value = true;
      r.unit = "MiB, where streaming starts to win";
    }
    r.status = !CacheKnown()  ? ClaimStatus::kNotMeasurable
               : ours == wins ? ClaimStatus::kMet
                              : ClaimStatus::kNotMet;
    if (!CacheKnown()) r.reason = "the cache size is unknown";
    return r;
  };
}

void AddStoreCrossover(SuiteSpec& suite) {
  const std::pair<const char*, Op> ops[] = {{"copy", Op::kCopy}, {"set", Op::kSet}};
  for (const auto& [op_name, op] : ops) {
    for (size_t n : CrossoverSizes()) {
      for (const bool streaming : {false, true}) {
        suite.benchmarks.push_back(
            {fmt::format("memops/{}-stores/{}/{}", op_name, streaming ? "streaming" : "cached", n),
             Role::kOurs,
             [op = op, n, streaming](benchmark::State& s) { RunStores(s, op, n, streaming); }});
      }
    }
  }
  suite.claims.push_back(StreamingCrossover("copy", &memops::CopyStreams));
  suite.claims.push_back(StreamingCrossover("set", &memops::SetStreams));
}

}  // namespace

SuiteSpec MakeMemopsSuite() {
  SuiteSpec suite{"memops", "memcpy/memmove/memcmp/memset engines against glibc", {}, {}};
  suite.baseline = "scalar";  // the scalar engine, what the SIMD engines are measured against
  for (const EngineChoice& c : EngineChoices()) {
    if (c.what == "memops") {
      suite.chosen.push_back(c.engine + " (" + c.by_size + ")" +
                             (c.tuned ? ", thresholds from perfkit tune" : ", the default"));
    }
  }
  if (!CacheKnown()) {
    suite.chosen.push_back("sizes up to 4x an assumed 32 MiB last-level cache (unknown here)");
  }
  // What a run of the whole suite faults in at most; a selection, what its
  // benchmarks touch (SharedViews).
  suite.chosen.push_back(
      "buffers: up to " + FormatBytes(static_cast<int64_t>(3 * BufferBytes())) +
      " for the whole suite (two sources and a destination the cold and crossover benchmarks "
      "rotate through, 4x the last-level cache each); a selection allocates what it touches");
  const std::vector<Impl> impls = Impls(suite);
  const std::pair<const char*, Op> ops[] = {
      {"copy", Op::kCopy}, {"move", Op::kMove}, {"compare", Op::kCompare}, {"set", Op::kSet}};
  for (const auto& [op_name, op] : ops) {
    for (const Impl& impl : impls) {
      for (size_t n : HotSizes()) {
        suite.benchmarks.push_back(
            {std::string("memops/") + op_name + "/" + impl.name + "/" + std::to_string(n),
             impl.role,
             [impl, op = op, n](benchmark::State& s) { RunHot(s, impl, op, n, false); }});
      }
    }
  }
  for (const auto& [op_name, op] : ops) {
    for (const Impl& impl : impls) {
      for (size_t n : {64, 1024, 16384, 262144}) {
        suite.benchmarks.push_back(
            {std::string("memops/") + op_name + "-cold/" + impl.name + "/" + std::to_string(n),
             impl.role, [impl, op = op, n](benchmark::State& s) { RunHot(s, impl, op, n, true); }});
      }
      for (size_t n : {256, 1024, 4096, 65536}) {
        suite.benchmarks.push_back(
            {std::string("memops/") + op_name + "-unaligned/" + impl.name + "/" + std::to_string(n),
             impl.role,
             [impl, op = op, n](benchmark::State& s) { RunHot(s, impl, op, n, false, true); }});
      }
      suite.benchmarks.push_back({std::string("memops/") + op_name + "-mixed/" + impl.name + "/256",
                                  impl.role,
                                  [impl, op = op](benchmark::State& s) { RunMixed(s, impl, op); }});
    }
  }
  const CopyFn glibc = impls.back().copy;
  AddFixed<1>(suite, glibc);
  AddFixed<2>(suite, glibc);
  AddFixed<4>(suite, glibc);
  AddFixed<8>(suite, glibc);
  AddFixed<16>(suite, glibc);
  AddFixed<32>(suite, glibc);
  AddFixed<64>(suite, glibc);
  AddStoreCrossover(suite);
  return suite;
}

}  // namespace perfkit::suites
