#include "subsystems/profiler/kernel_symbols.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace perfkit::profiler {

KernelSymbols::KernelSymbols(const Machine& machine) {
  std::ifstream in(machine.Path("/proc/kallsyms"));
  if (!in) {
    note_ = "kernel frames are not named: /proc/kallsyms cannot be read";
    return;
  }
  bool hidden = false;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string address, type, name, module;
    if (!(f >> address >> type >> name)) continue;
    f >> module;  // "[nf_tables]" for a module's symbol
    if (type != "t" && type != "T" && type != "w" && type != "W") continue;
    char* end = nullptr;
    const uint64_t start = std::strtoull(address.c_str(), &end, 16);
    if (end == address.c_str() || *end != '\0') continue;
    if (start == 0) {
      hidden = true;  // kptr_restrict zeroes every address
      continue;
    }
    symbols_.push_back({start, module.empty() ? name : name + " " + module});
  }
  std::sort(symbols_.begin(), symbols_.end(),
            [](const Symbol& a, const Symbol& b) { return a.start < b.start; });
  if (symbols_.empty()) {
    const std::string restrict = machine.ReadLine("/proc/sys/kernel/kptr_restrict");
    note_ = hidden ? "kernel frames are not named: /proc/kallsyms hides the addresses "
                     "(kernel.kptr_restrict=" +
                         (restrict.empty() ? std::string("?") : restrict) +
                         "; 0, or a user with CAP_SYSLOG, shows them)"
                   : "kernel frames are not named: /proc/kallsyms lists no text symbols";
  }
}

std::string KernelSymbols::Name(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.start; });
  if (it == symbols_.begin()) return "[kernel]";
  return std::prev(it)->name;
}

}  // namespace perfkit::profiler
