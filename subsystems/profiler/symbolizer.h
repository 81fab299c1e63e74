// Addresses to function names: the ELF symbol tables (.symtab, else .dynsym)
// of each mapped file through libelf, C++ names demangled, both cached.
// Unresolved frames read `[unknown] (libfoo.so+0x1234)`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "subsystems/profiler/perf_map.h"
#include "subsystems/profiler/profile.h"

namespace perfkit::profiler {

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  // `caller` is true for return addresses: those are looked up one byte
  // earlier so they land inside the call instruction.
  std::string Name(const std::vector<Mapping>& maps, uint64_t address, bool caller);
  // The frames one address stands for, outermost first: the function, then
  // with `inlined` the functions its DWARF says are inlined there.
  void Frames(uint32_t pid, const std::vector<Mapping>& maps, uint64_t address, bool caller,
              bool inlined, std::vector<std::string>* out, bool line = false);
  // The file that holds `address`: its name, "[anon]" or "[unknown]".
  static std::string Dso(const std::vector<Mapping>& maps, uint64_t address);

  struct File;  // one object's symbols and load segments

 private:
  struct Resolved {
    std::string name;
    File* file = nullptr;  // set when a symbol of this file named it
    uint64_t vaddr = 0;
  };
  // `lookup` is `address`, or a byte before it for a return address.
  Resolved Resolve(const Mapping* map, uint64_t address, uint64_t lookup);
  Resolved Resolve(uint32_t pid, const std::vector<Mapping>& maps, uint64_t address, bool caller);
  File* Load(const std::string& path);
  const PerfMap& MapOf(uint32_t pid);
  std::map<std::string, std::unique_ptr<File>> files_;
  std::map<uint32_t, std::unique_ptr<PerfMap>> perf_maps_;
};

// What a stack's root frames say: the process by name (the default: one
// program's profiles compare across runs), by name and pid (two gzip
// processes apart), or the process and then the thread by name and tid.
enum class StackRoot { kProcess, kPid, kThread };
struct SymbolizeOptions {
  StackRoot root = StackRoot::kProcess;
  bool inlined = true;  // a frame for each function inlined at an address (-g builds)
  // Frames named by the file that holds the code ("libz.so.1", "[kernel]"),
  // runs of one file folded into one frame: where stripped code's time goes
  // (perf's --sort dso).
  bool by_dso = false;
  // The sampled line: the leaf frame reads "function (file.c:123)" where
  // the file has a line table, so the table ranks the hottest lines.
  bool lines = false;
};

// Stacks of names from raw samples: root first (the root frames, then the
// outermost function), identical stacks merged. Kernel frames are named from
// /proc/kallsyms where the kernel shows its addresses.
Profile Symbolize(const RawProfile& raw, const SymbolizeOptions& options = {});

}  // namespace perfkit::profiler
