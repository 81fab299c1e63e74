// What perfkit's own code runs on this machine at each size: the crc32 and
// memops engines the run-time dispatch picks. `perfkit sysinfo` and
// `perfkit list` show it.
#pragma once

#include <string>
#include <vector>

#include "subsystems/base/cpu_caches.h"
#include "subsystems/base/cpu_features.h"

namespace perfkit::suites {

struct EngineChoice {
  std::string what;     // "crc32", "crc32c", "memops"
  std::string engine;   // "avx512"; tuned: the engines of the bands, "pclmul+vpclmul"
  std::string by_size;  // "< 256 B: the crc32 instruction; >= 256 B: four 512-bit folds"
  bool tuned = false;   // from perfkit tune on this host, not the defaults
};

// This machine's, as dispatch chose them (PERFKIT_DISABLE_CPU_FEATURES and a
// stored tuning applied).
std::vector<EngineChoice> EngineChoices();
// Any machine's, from its features and caches (a replayed one's).
std::vector<EngineChoice> EngineChoices(const CpuFeatures& features, const CpuCaches& caches);

}  // namespace perfkit::suites
