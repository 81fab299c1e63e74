// Suite crc32: every CRC engine of ours beside zlib, libdeflate and ISA-L at
// sizes from 16 B (call overhead dominates) through 1 MiB (L2/L3) to 16 MiB
// (beyond a Zen 3 CCX's L3 share on these VMs: memory bandwidth), and two
// that are not whole 16-byte blocks (100 B, and 1500 B, an Ethernet
// payload): the folds' last bytes had taken 2x the time of all the others
// at 79 B, unseen at the round sizes.
#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <isa-l/crc.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "subsystems/base/bytes.h"
#include "subsystems/base/cpu_features.h"
#include "subsystems/crc32/crc32.h"
#include "subsystems/crc32/crc32_internal.h"
#include "suites/claims.h"
#include "suites/crc32_bound.h"
#include "suites/engine_choice.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

using crc32::CrcFn;
using crc32::Kind;

constexpr size_t kSizes[] = {16, 64, 100, 128, 256, 1024, 1500, 4096, 65536, 1 << 20, 16 << 20};
constexpr size_t kMaxSize = 16 << 20;

std::string BenchmarkName(Kind kind, std::string_view impl, size_t size) {
  return fmt::format("crc32/{}/{}/{}", crc32::KindName(kind), impl, size);
}

// One random buffer shared by all benchmarks, filled once: filling 16 MiB per
// repetition would dominate a short run.
const uint8_t* SharedBuffer() {
  static const std::unique_ptr<uint8_t[]> buffer = [] {
    auto b = std::make_unique<uint8_t[]>(kMaxSize + 64);
    std::mt19937_64 rng(42);
    for (size_t i = 0; i < kMaxSize + 64; i += 8) {
      const uint64_t v = rng();
      std::memcpy(b.get() + i, &v, 8);
    }
    return b;
  }();
  // 64-byte aligned start, as a storage or network stack would hand us.
  const uintptr_t p = reinterpret_cast<uintptr_t>(buffer.get());
  return reinterpret_cast<const uint8_t*>((p + 63) & ~uintptr_t{63});
}

// Peers adapted to zlib's signature. ISA-L's gzip CRC inverts internally,
// as zlib does; its iSCSI CRC takes and returns the raw register.
uint32_t ZlibCrc32(uint32_t crc, const void* p, size_t n) {
  return static_cast<uint32_t>(::crc32(crc, static_cast<const Bytef*>(p), static_cast<uInt>(n)));
}
uint32_t LibdeflateCrc32(uint32_t crc, const void* p, size_t n) {
  return libdeflate_crc32(crc, p, n);
}

// ISA-L is dlopen'ed when the suite is made rather than linked, so that
// every other command starts one library lighter (16 of the 217 page
// faults `perfkit --version` took).
void* IsalHandle(std::string* error) {
  static std::string why;
  static void* const handle = [] {
    void* h = dlopen(PERFKIT_ISAL_SO, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr)
      why = std::string("cannot load ISA-L (apt-get install libisal-dev): ") + dlerror();
    return h;
  }();
  *error = why;
  return handle;
}

decltype(&crc32_gzip_refl) g_isal_crc32;
decltype(&crc32_iscsi) g_isal_crc32c;
uint32_t IsalCrc32(uint32_t crc, const void* p, size_t n) {
  return g_isal_crc32(crc, static_cast<const unsigned char*>(p), n);
}
uint32_t IsalCrc32c(uint32_t crc, const void* p, size_t n) {
  return ~g_isal_crc32c(static_cast<unsigned char*>(const_cast<void*>(p)), static_cast<int>(n),
                        ~crc);
}

// ISA-L's kernels for CPUs without AVX-512 ("isal-128"), called directly:
// its dispatcher never picks them on an AVX-512 machine, so beside them a run
// there also shows our 256-bit engines against what they meet elsewhere.
// libisal exports them without declaring them.
using IsalGzipKernel = uint32_t (*)(uint32_t, const unsigned char*, uint64_t);
using IsalIscsiKernel = uint32_t (*)(const unsigned char*, int, uint32_t);
IsalGzipKernel g_isal_crc32_128;
IsalIscsiKernel g_isal_crc32c_128;
uint32_t Isal128Crc32(uint32_t crc, const void* p, size_t n) {
  return g_isal_crc32_128(crc, static_cast<const unsigned char*>(p), n);
}
uint32_t Isal128Crc32c(uint32_t crc, const void* p, size_t n) {
  return ~g_isal_crc32c_128(static_cast<const unsigned char*>(p), static_cast<int>(n), ~crc);
}

// Why `fn` is not a CRC of `kind` (empty when it is): its results against
// the bitwise reference on the suite's buffer at odd lengths and offsets,
// chained from a non-zero CRC. A peer that disagrees is reported, not timed.
std::string WrongCrcs(Kind kind, CrcFn fn) {
  const uint8_t* data = SharedBuffer();
  const CrcFn reference =
      kind == Kind::kCrc32 ? &crc32::internal::Crc32Slice8 : &crc32::internal::Crc32cSlice8;
  for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{64}, size_t{255}, size_t{1000},
                   size_t{4099}, size_t{65537}}) {
    for (size_t offset : {size_t{0}, size_t{3}}) {
      const uint32_t seed = 0x12345678u;
      const uint32_t want = reference(reference(0, data, offset), data + offset, n);
      const uint32_t got = fn(reference(0, data, offset), data + offset, n);
      if (want != got || reference(seed, data, n) != fn(seed, data, n)) {
        return "gives wrong CRCs (" + std::to_string(n) + " bytes: " + std::to_string(got) +
               ", not " + std::to_string(want) + ")";
      }
    }
  }
  return "";
}

void RunCrc(benchmark::State& state, CrcFn fn, size_t size) {
  if (StopRequested()) {
    state.SkipWithError("interrupted");
    return;
  }
  const uint8_t* data = SharedBuffer();
  // Launder the pointer so the compiler cannot inline or fold the callee.
  benchmark::DoNotOptimize(fn);
  for (auto _ : state) {
    benchmark::DoNotOptimize(fn(0, data, size));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(size));
}

void Add(SuiteSpec& suite, Kind kind, const std::string& impl, Role role, CrcFn fn) {
  const std::string op(crc32::KindName(kind));
  if (const std::string wrong = WrongCrcs(kind, fn); !wrong.empty()) {
    suite.skipped.push_back(op + "/" + impl + ": " + wrong);
    return;
  }
  for (size_t size : kSizes) {
    suite.benchmarks.push_back({BenchmarkName(kind, impl, size), role,
                                [fn, size](benchmark::State& s) { RunCrc(s, fn, size); }});
  }
}

// `kernel` is what ISA-L runs for `kind` on a CPU without AVX-512 that has
// PCLMULQDQ and `feature`.
template <typename Kernel>
void AddIsal128(SuiteSpec& suite, Kind kind, const char* kernel, bool cpu_has, const char* feature,
                Kernel* slot, CrcFn fn) {
  const std::string name = "crc32/" + std::string(crc32::KindName(kind)) + "/isal-128: ";
  if (!cpu_has) {
    suite.skipped.push_back(name + "this CPU has no PCLMULQDQ or " + feature);
    return;
  }
  std::string error;
  void* isal = IsalHandle(&error);
  if (isal == nullptr) return;  // said once, with ISA-L's own peers
  *slot = reinterpret_cast<Kernel>(dlsym(isal, kernel));
  if (*slot == nullptr) {
    suite.skipped.push_back(name + "this libisal has no " + kernel);
    return;
  }
  Add(suite, kind, "isal-128", Role::kPeer, fn);
}

void AddIsal(SuiteSpec& suite) {
  std::string error;
  void* isal = IsalHandle(&error);
  if (isal != nullptr) {
    g_isal_crc32 = reinterpret_cast<decltype(g_isal_crc32)>(dlsym(isal, "crc32_gzip_refl"));
    g_isal_crc32c = reinterpret_cast<decltype(g_isal_crc32c)>(dlsym(isal, "crc32_iscsi"));
    if (g_isal_crc32 == nullptr || g_isal_crc32c == nullptr) error = "this libisal has no CRCs";
  }
  if (!error.empty()) {
    suite.skipped.push_back("crc32/isal: " + error);
    return;
  }
  Add(suite, Kind::kCrc32, "isal", Role::kPeer, &IsalCrc32);
  Add(suite, Kind::kCrc32c, "isal", Role::kPeer, &IsalCrc32c);
}

void AddIsal128s(SuiteSpec& suite) {
#if PERFKIT_X86_64
  const CpuFeatures& f = GetCpuFeatures();
  AddIsal128(suite, Kind::kCrc32, "crc32_gzip_refl_by8_02", f.pclmulqdq && f.avx, "AVX",
             &g_isal_crc32_128, &Isal128Crc32);
  AddIsal128(suite, Kind::kCrc32c, "crc32_iscsi_01", f.pclmulqdq && f.sse42, "SSE4.2",
             &g_isal_crc32c_128, &Isal128Crc32c);
#else
  suite.skipped.push_back("crc32/isal-128: ISA-L's kernels for x86-64 CPUs without AVX-512");
#endif
}

// Whether the engine dispatch runs at each size (by capability, or as perfkit
// tune measured on this host) was the fastest of ours there. Another engine
// counts as faster when its median is over 5% below and the 95% interval of
// the ratio excludes 1: engines that run the same instructions at a size
// (or a jump apart) had been named 1.06-1.14x faster in some runs and
// slower in others. Those within the noise are named apart.
Claim ChoiceHolds(Kind kind) {
  return [kind](const Measured& m) -> std::optional<ClaimResult> {
    std::string faster, noise;
    std::vector<std::string_view> chosen;
    int compared = 0;
    for (size_t size : kSizes) {
      const std::string_view here = crc32::EngineAt(kind, size).name;
      if (std::find(chosen.begin(), chosen.end(), here) == chosen.end()) chosen.push_back(here);
      const auto mine = m.times.find(BenchmarkName(kind, here, size));
      if (mine == m.times.end() || mine->second.empty()) continue;
      for (const crc32::Engine& e : crc32::AllEngines()) {
        if (e.kind != kind || !e.available() || e.name == here) continue;
        const auto other = m.times.find(BenchmarkName(kind, e.name, size));
        if (other == m.times.end() || other->second.empty()) continue;
        ++compared;
        // mine's time over the other's: above 1, the other is faster.
        const Interval i = BootstrapRatio(other->second, mine->second);
        if (!(i.ratio > 1.05)) continue;
        std::string& list = i.low > 1 ? faster : noise;
        list +=
            fmt::format("{}{} at {} ({:.2f}x [{:.2f}-{:.2f}])", list.empty() ? "" : ", ", e.name,
                        FormatBytes(static_cast<int64_t>(size)), i.ratio, i.low, i.high);
      }
    }
    if (compared == 0) return std::nullopt;
    const std::string topic = fmt::format(
        "{}, the engine perfkit picks ({}{})", kind == Kind::kCrc32 ? "CRC-32" : "CRC-32C",
        fmt::join(chosen, "+"), crc32::Tuned(kind) ? ", by perfkit tune" : "");
    std::string text =
        faster.empty()
            ? topic + ": the fastest of ours at every size measured (none other 5% faster)"
            : topic + ": more than 5% slower than " + faster;
    if (!noise.empty()) text += "; within the noise (95% interval includes 1x): " + noise;
    ClaimResult r =
        Said(std::string(kind == Kind::kCrc32 ? "CRC-32" : "CRC-32C") + " engine choice", text);
    r.target = "no engine of ours 5% faster at any size, beyond the noise";
    r.status = faster.empty() ? ClaimStatus::kMet : ClaimStatus::kNotMet;
    return r;
  };
}

}  // namespace

SuiteSpec MakeCrc32Suite() {
  SuiteSpec suite{"crc32", "CRC-32 and CRC-32C engines against zlib, libdeflate and ISA-L", {}, {}};
  suite.baseline = "slice8";  // the table-driven CRC, what hardware paths are measured against
  for (const crc32::Engine& e : crc32::AllEngines()) {
    const std::string op(crc32::KindName(e.kind));
    if (!e.available()) {
      suite.skipped.push_back(op + "/" + std::string(e.name) + ": " + std::string(e.missing));
      continue;
    }
    Add(suite, e.kind, std::string(e.name), Role::kOurs, e.fn);
  }
  Add(suite, Kind::kCrc32, "zlib", Role::kPeer, &ZlibCrc32);
  Add(suite, Kind::kCrc32, "libdeflate", Role::kPeer, &LibdeflateCrc32);
  AddIsal(suite);
  AddIsal128s(suite);
  AddClmulBounds(suite);
  suite.claims.push_back(ChoiceHolds(Kind::kCrc32));
  suite.claims.push_back(ChoiceHolds(Kind::kCrc32c));
  for (const EngineChoice& c : EngineChoices()) {
    if (c.what != "memops")
      suite.chosen.push_back(c.what + ": " + c.engine + " (" + c.by_size + ")" +
                             (c.tuned ? ", from perfkit tune" : ", the default"));
  }
  return suite;
}

}  // namespace perfkit::suites
