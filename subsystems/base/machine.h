// The machine's facts come in here and nowhere else: CPUID (and XCR0), and
// the files of /sys and /proc that describe the machine, read under one
// root. Tests and `perfkit sysinfo --machine` replay a snapshot of a
// machine perfkit does not run on (`cpuid -r -1` and its /sys cache files).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit {

struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

class Machine {
 public:
  virtual ~Machine() = default;
  // Leaf and subleaf; none past the CPU's highest leaf of that range (basic,
  // 0x40000000 hypervisor, 0x80000000 extended) or off x86-64.
  virtual std::optional<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf = 0) const = 0;
  // The state components the OS saves (XGETBV 0): whether YMM/ZMM may be used.
  virtual uint64_t Xcr0() const = 0;
  // An absolute path ("/sys/devices/system/cpu") on this machine's tree.
  virtual std::string Path(const std::string& absolute) const = 0;
  // Whether this is the machine perfkit runs on (engines may be executed).
  virtual bool live() const = 0;

  // The first line of a file; "" when it cannot be read.
  std::string ReadLine(const std::string& absolute) const;
  // The whole file, trailing blanks removed; an error names the file.
  Result<std::string> ReadText(const std::string& absolute) const;
  bool Exists(const std::string& absolute) const;
  // The names in a directory, sorted; none when it cannot be read.
  std::vector<std::string> ListDir(const std::string& absolute) const;
};

// The one reader of small files (a /sys knob, a /proc/PID/stat): the first
// line, "" when it cannot be read; or the whole text without trailing
// blanks, an error naming the file.
std::string FirstLineOf(const std::string& path);
Result<std::string> TextOf(const std::string& path);

// The machine perfkit runs on: its own CPUID, and files under
// $PERFKIT_SYSFS_ROOT (default "/"), which tests point at fake trees.
const Machine& ThisMachine();
// This CPU, with its files read under ROOT instead (tests build fake trees).
std::unique_ptr<Machine> RootedMachine(const std::string& root);

// A snapshot directory as ../shared/machines/ holds them: cpuid-raw.txt
// (`cpuid -r -1`), and, when present, sys-cpu0-cache.txt ("index0/size:
// 48K" lines) and cpuinfo-cpu0.txt, laid out as files under `scratch` so
// that the readers of /sys and /proc find them where they look.
Result<std::unique_ptr<Machine>> ReplayMachine(const std::string& snapshot_dir,
                                               const std::string& scratch);
// The leaves of a `cpuid -r` dump (the first CPU's), for ReplayMachine and
// its tests; an error names the line it cannot read.
Result<std::vector<std::pair<std::pair<uint32_t, uint32_t>, CpuidRegs>>> ParseCpuidDump(
    const std::string& text);

}  // namespace perfkit
