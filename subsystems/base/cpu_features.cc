#include "subsystems/base/cpu_features.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "subsystems/base/machine.h"

#if PERFKIT_AARCH64
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace perfkit {
namespace {

#if PERFKIT_X86_64
CpuFeatures Detect(const Machine& m) {
  CpuFeatures f;
  if (auto zero = m.Cpuid(0, 0)) {
    // "GenuineIntel" in ebx, edx, ecx.
    f.intel = zero->ebx == 0x756e6547 && zero->edx == 0x49656e69 && zero->ecx == 0x6c65746e;
  }
  auto one = m.Cpuid(1, 0);
  if (!one) return f;
  const uint32_t c = one->ecx, d = one->edx;
  f.sse2 = d & (1u << 26);
  f.sse42 = c & (1u << 20);
  f.pclmulqdq = c & (1u << 1);
  f.hypervisor = c & (1u << 31);
  // The OS must save YMM/ZMM state (XCR0), not only the CPU have them.
  const uint64_t xcr0 = m.Xcr0();
  const bool ymm_os = (xcr0 & 0x6) == 0x6;
  const bool zmm_os = (xcr0 & 0xe6) == 0xe6;
  f.avx = (c & (1u << 28)) && ymm_os;
  if (auto seven = m.Cpuid(7, 0)) {
    const uint32_t b7 = seven->ebx, c7 = seven->ecx, d7 = seven->edx;
    f.avx2 = (b7 & (1u << 5)) && ymm_os;
    f.bmi2 = b7 & (1u << 8);
    f.erms = b7 & (1u << 9);
    f.avx512f = (b7 & (1u << 16)) && zmm_os;
    f.avx512bw = (b7 & (1u << 30)) && zmm_os;
    f.avx512vl = (b7 & (1u << 31)) && zmm_os;
    f.vpclmulqdq = (c7 & (1u << 10)) && ymm_os;
    f.fsrm = d7 & (1u << 4);
  }
  return f;
}
#elif PERFKIT_AARCH64
// HWCAP is the kernel's word for this CPU; a replayed machine has none.
CpuFeatures Detect(const Machine& m) {
  CpuFeatures f;
  if (!m.live()) return f;
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
CpuFeatures Detect(const Machine&) { return {}; }
#endif

// PERFKIT_DISABLE_CPU_FEATURES=avx2,vpclmulqdq,... hides features, so the
// fallbacks a smaller CPU would run can be exercised on this one.
CpuFeatures ApplyMask(CpuFeatures f) {
  const std::string_view mask = DisabledCpuFeatures();
  if (mask.empty()) return f;
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
  for (const auto& [name, member] : names) {
    if (NamesCpuFeature(mask, name)) f.*member = false;
  }
  return f;
}

}  // namespace

std::string_view DisabledCpuFeatures() {
  const char* mask = std::getenv("PERFKIT_DISABLE_CPU_FEATURES");
  return mask != nullptr ? mask : "";
}

bool NamesCpuFeature(std::string_view list, std::string_view feature) {
  const std::string padded = "," + std::string(list) + ",";
  return padded.find("," + std::string(feature) + ",") != std::string::npos;
}

CpuFeatures ReadCpuFeatures(const Machine& machine) { return ApplyMask(Detect(machine)); }

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures features = ReadCpuFeatures(ThisMachine());
  return features;
}

}  // namespace perfkit
