// Cache and TLB geometry read from CPUID (leaf 4 on Intel, 0x8000001D on
// AMD; TLBs from 0x18 and 0x80000005/6/19), with /sys as a cross-check:
// some virtual machines give no /sys cache directory at all, and a size
// silently guessed is worse than one stated unknown.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace perfkit {

struct CacheLevel {
  std::string name;  // L1d, L1i, L2, L3
  int64_t bytes = 0;
  int line_bytes = 0;
  int ways = 0;
  int shared_by = 0;  // logical CPUs sharing it (CPUID's view)
};

struct TlbLevel {
  std::string name;  // "L1 dTLB", "L2 TLB"
  std::string page;  // 4K, 2M, 1G
  int entries = 0;
};

struct CpuCaches {
  std::vector<CacheLevel> caches;
  std::vector<TlbLevel> tlbs;
  std::string source;                            // "cpuid", "sysfs", or empty when neither told
  std::string mismatch;                          // where /sys and CPUID disagree, said in words
  int64_t Bytes(const std::string& name) const;  // 0 when unknown
  int64_t LastLevelBytes() const;                // the L3, else the L2; 0 when unknown
  int LineBytes() const;                         // 0 when unknown
};

class Machine;

// From the CPU itself; empty off x86-64 or when the leaves are missing.
CpuCaches CachesFromCpuid(const Machine& machine);
// From /sys/devices/system/cpu/cpu0/cache.
CpuCaches CachesFromSysfs(const Machine& machine);
// CPUID first, /sys where CPUID says nothing, and their disagreement noted.
CpuCaches DetectCaches(const Machine& machine);
// The same for the machine perfkit runs on, cached after the first call.
const CpuCaches& DetectCaches();

}  // namespace perfkit
