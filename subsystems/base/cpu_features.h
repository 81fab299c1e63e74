// The CPU features perfkit's engines choose between, read once at run time.
// Platform macros for the whole tree live here too.
#pragma once

#include <string_view>

#if defined(__x86_64__) || defined(_M_X64)
#define PERFKIT_X86_64 1
#else
#define PERFKIT_X86_64 0
#endif

#if defined(__aarch64__)
#define PERFKIT_AARCH64 1
#else
#define PERFKIT_AARCH64 0
#endif

namespace perfkit {

struct CpuFeatures {
  bool sse2 = false;
  bool sse42 = false;
  bool avx = false;
  bool avx2 = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool pclmulqdq = false;
  bool vpclmulqdq = false;
  bool bmi2 = false;
  bool erms = false;
  bool fsrm = false;
  bool hypervisor = false;
  // CPUID's vendor is GenuineIntel. Where a rate is known per vendor and
  // not per feature bit (an Intel core with VPCLMULQDQ multiplies a 512-bit
  // carry-less product per cycle, Zen 4 one every two), defaults follow it.
  bool intel = false;
  bool neon = false;
  bool sve = false;
  bool arm_crc32 = false;
  bool arm_pmull = false;
};

// Cached after the first call; safe from any thread. Features named in
// $PERFKIT_DISABLE_CPU_FEATURES (comma-separated, as sysinfo spells them)
// read as absent, to test the fallbacks.
const CpuFeatures& GetCpuFeatures();
// The same for any machine, a replayed one included (not cached).
class Machine;
CpuFeatures ReadCpuFeatures(const Machine& machine);

// $PERFKIT_DISABLE_CPU_FEATURES as given, "" when unset.
std::string_view DisabledCpuFeatures();
// Whether a comma-separated list such as that one names `feature` (whole
// names: "avx512" does not name "avx512f").
bool NamesCpuFeature(std::string_view list, std::string_view feature);

}  // namespace perfkit
