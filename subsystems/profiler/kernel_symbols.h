// Kernel frames by name: /proc/kallsyms (the kernel's and its modules'
// text symbols), read through the machine seam. Where the kernel hides its
// addresses (kptr_restrict, or a user without CAP_SYSLOG) every frame stays
// `[kernel]` and `note()` says why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/base/machine.h"

namespace perfkit::profiler {

// Addresses at or above this are the kernel's on x86-64 and arm64.
inline constexpr uint64_t kKernelStart = 0xffff800000000000ull;

class KernelSymbols {
 public:
  explicit KernelSymbols(const Machine& machine);
  // "copy_page_to_iter", "nf_hook_slow [nf_tables]", or "[kernel]".
  std::string Name(uint64_t address) const;
  // Why frames are `[kernel]`, or "" when they are named.
  const std::string& note() const { return note_; }

 private:
  struct Symbol {
    uint64_t start;
    std::string name;
  };
  std::vector<Symbol> symbols_;  // sorted by start
  std::string note_;
};

}  // namespace perfkit::profiler
