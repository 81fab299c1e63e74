#include "suites/crc32_bound.h"

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/base/cpu_features.h"
#include "subsystems/crc32/crc32.h"
#include "suites/claims.h"

namespace perfkit::suites {
namespace {

// Each bound benchmark does the carry-less multiplies that folding this many
// bytes takes, so its time compares with an engine's at the same size.
constexpr int64_t kBoundBytes = 65536;

#if PERFKIT_X86_64
// Sixteen carry-less multiplies per round, on loop-invariant sources into
// eight destinations: nothing depends on anything, so the round takes what
// the multiply unit's throughput allows. VEX and EVEX forms do not read
// their destination, so no register carries a chain between rounds.
// clang-format off
#define PERFKIT_CLMUL_KERNEL(name, R)                                     \
  [[gnu::noinline]] void name(int64_t rounds) {                           \
    asm volatile(                                                         \
        "vpxor %%xmm0, %%xmm0, %%xmm0\n\t"                                \
        "vpxor %%xmm1, %%xmm1, %%xmm1\n\t"                                \
        ".p2align 5\n"                                                    \
        "1:\n\t"                                                          \
        ".rept 2\n\t"                                                     \
        ".irp d, 2, 3, 4, 5, 6, 7, 8, 9\n\t"                              \
        "vpclmulqdq $0x11, %%" R "0, %%" R "1, %%" R "\\d\n\t"            \
        ".endr\n\t"                                                       \
        ".endr\n\t"                                                       \
        "dec %0\n\t"                                                      \
        "jnz 1b\n\t"                                                      \
        "vzeroupper\n\t"                                                  \
        : "+r"(rounds)                                                    \
        :                                                                 \
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
          "xmm8", "xmm9", "cc");                                          \
  }
// clang-format on

PERFKIT_CLMUL_KERNEL(Clmul128, "xmm")
PERFKIT_CLMUL_KERNEL(Clmul256, "ymm")
PERFKIT_CLMUL_KERNEL(Clmul512, "zmm")

#undef PERFKIT_CLMUL_KERNEL

struct Width {
  int bits;
  void (*kernel)(int64_t);
  // Bytes of input one multiply instruction folds: a fold multiplies each
  // 64-bit half of a vector once, so two instructions fold one vector.
  int bytes_per_multiply;
  std::string missing;  // empty: this CPU runs it
};

std::vector<Width> Widths() {
  const CpuFeatures& f = GetCpuFeatures();
  auto missing = [](bool has, const char* what) { return has ? std::string() : what; };
  return {
      {128, &Clmul128, 8, missing(f.pclmulqdq && f.avx, "CPU lacks PCLMULQDQ or AVX")},
      {256, &Clmul256, 16, missing(f.vpclmulqdq && f.avx2, "CPU lacks VPCLMULQDQ or AVX2")},
      {512, &Clmul512, 32,
       missing(f.vpclmulqdq && f.avx512f, "CPU lacks AVX-512 (F) or VPCLMULQDQ")},
  };
}

std::string BoundName(int bits) {
  return fmt::format("crc32/bound/clmul-{}/{}", bits, kBoundBytes);
}

void RunBound(benchmark::State& state, const Width& w) {
  if (SkipIfStopped(state)) return;
  const int64_t rounds = kBoundBytes / w.bytes_per_multiply / 16;
  for (auto _ : state) w.kernel(rounds);
  state.SetBytesProcessed(state.iterations() * kBoundBytes);
}

// "CRC-32, 256-bit folds (vpclmul) at 64 KiB: 29.2 GB/s, 98% of what this
// CPU's carry-less multiplies allow (...)": an engine's time against the
// multiplies alone at its width.
Claim AtBound(const std::string& kind, const std::string& engine, const Width& w) {
  const std::string topic =
      fmt::format("{}, {}-bit folds ({}) at {} KiB", kind == "crc32" ? "CRC-32" : "CRC-32C", w.bits,
                  engine, kBoundBytes / 1024);
  return ShareOfBound(topic, fmt::format("crc32/{}/{}/{}", kind, engine, kBoundBytes),
                      BoundName(w.bits), kBoundBytes, "what this CPU's carry-less multiplies allow",
                      fmt::format("{}-bit multiplies back to back, {} B of input each", w.bits,
                                  w.bytes_per_multiply),
                      "% of the multiply bound", 95);
}
#endif

}  // namespace

void AddClmulBounds(SuiteSpec& suite) {
#if PERFKIT_X86_64
  // The engines that fold and nothing else at this size: CRC-32C's avx512
  // but where it runs the crc32 instruction beside its folds (at 64 KiB on
  // AMD, not on Intel), past this bound.
  struct Fold {
    int bits;
    const char* kind;
    const char* engine;
  };
  std::vector<Fold> folds = {{128, "crc32", "pclmul"},
                             {128, "crc32c", "pclmul"},
                             {256, "crc32", "vpclmul"},
                             {256, "crc32c", "vpclmul"},
                             {512, "crc32", "avx512"}};
  if (!crc32::Avx512RunsHybridAt(kBoundBytes)) folds.push_back({512, "crc32c", "avx512"});
  for (const Width& w : Widths()) {
    if (!w.missing.empty()) {
      suite.skipped.push_back(fmt::format("bound/clmul-{}: {}", w.bits, w.missing));
      continue;
    }
    suite.benchmarks.push_back(
        {BoundName(w.bits), Role::kOurs, [w](benchmark::State& s) { RunBound(s, w); }});
    for (const auto& f : folds) {
      if (f.bits == w.bits) suite.claims.push_back(AtBound(f.kind, f.engine, w));
    }
  }
#else
  suite.skipped.push_back("bound/clmul: x86-64's carry-less multiplies");
#endif
}

}  // namespace perfkit::suites
