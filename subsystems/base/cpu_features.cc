#include "subsystems/base/cpu_features.h"

#include <cstdlib>
#include <string>
#include <utility>

#if PERFKIT_X86_64
#include <cpuid.h>
#elif PERFKIT_AARCH64
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace perfkit {
namespace {

#if PERFKIT_X86_64
// XGETBV tells whether the OS saves the YMM/ZMM state; CPUID alone does not.
unsigned long long ReadXcr0() {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

CpuFeatures Detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  f.sse2 = d & bit_SSE2;
  f.sse42 = c & bit_SSE4_2;
  f.pclmulqdq = c & bit_PCLMUL;
  f.hypervisor = c & (1u << 31);
  const bool osxsave = c & bit_OSXSAVE;
  const unsigned long long xcr0 = osxsave ? ReadXcr0() : 0;
  const bool ymm_os = (xcr0 & 0x6) == 0x6;
  const bool zmm_os = (xcr0 & 0xe6) == 0xe6;
  f.avx = (c & bit_AVX) && ymm_os;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = (b & bit_AVX2) && ymm_os;
    f.bmi2 = b & bit_BMI2;
    f.erms = b & (1u << 9);
    f.avx512f = (b & bit_AVX512F) && zmm_os;
    f.avx512bw = (b & bit_AVX512BW) && zmm_os;
    f.avx512vl = (b & bit_AVX512VL) && zmm_os;
    f.vpclmulqdq = (c & (1u << 10)) && ymm_os;
    f.fsrm = d & (1u << 4);
  }
  return f;
}
#elif PERFKIT_AARCH64
CpuFeatures Detect() {
  CpuFeatures f;
  const unsigned long hw = getauxval(AT_HWCAP);
  f.neon = hw & HWCAP_ASIMD;
  f.arm_crc32 = hw & HWCAP_CRC32;
  f.arm_pmull = hw & HWCAP_PMULL;
#ifdef HWCAP_SVE
  f.sve = hw & HWCAP_SVE;
#endif
  return f;
}
#else
CpuFeatures Detect() { return {}; }
#endif

// PERFKIT_DISABLE_CPU_FEATURES=avx2,vpclmulqdq,... hides features, so the
// fallbacks a smaller CPU would run can be exercised on this one.
CpuFeatures ApplyMask(CpuFeatures f) {
  const char* mask = std::getenv("PERFKIT_DISABLE_CPU_FEATURES");
  if (mask == nullptr) return f;
  const std::pair<const char*, bool CpuFeatures::*> names[] = {
      {"sse2", &CpuFeatures::sse2},
      {"sse4.2", &CpuFeatures::sse42},
      {"avx", &CpuFeatures::avx},
      {"avx2", &CpuFeatures::avx2},
      {"avx512f", &CpuFeatures::avx512f},
      {"avx512bw", &CpuFeatures::avx512bw},
      {"avx512vl", &CpuFeatures::avx512vl},
      {"pclmulqdq", &CpuFeatures::pclmulqdq},
      {"vpclmulqdq", &CpuFeatures::vpclmulqdq},
      {"bmi2", &CpuFeatures::bmi2},
      {"erms", &CpuFeatures::erms},
      {"fsrm", &CpuFeatures::fsrm},
      {"neon", &CpuFeatures::neon},
      {"sve", &CpuFeatures::sve},
      {"crc32", &CpuFeatures::arm_crc32},
      {"pmull", &CpuFeatures::arm_pmull},
  };
  const std::string list = std::string(",") + mask + ",";
  for (const auto& [name, member] : names) {
    if (list.find(std::string(",") + name + ",") != std::string::npos) f.*member = false;
  }
  return f;
}

}  // namespace

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures features = ApplyMask(Detect());
  return features;
}

}  // namespace perfkit
