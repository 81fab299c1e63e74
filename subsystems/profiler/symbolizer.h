// Addresses to function names: the ELF symbol tables (.symtab, else .dynsym)
// of each mapped file through libelf, C++ names demangled, both cached.
// Unresolved frames read `[unknown] (libfoo.so+0x1234)`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "subsystems/profiler/profile.h"

namespace perfkit::profiler {

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  // `caller` is true for return addresses: those are looked up one byte
  // earlier so they land inside the call instruction.
  std::string Name(const std::vector<Mapping>& maps, uint64_t address, bool caller);

  struct File;  // one object's symbols and load segments

 private:
  File* Load(const std::string& path);
  std::map<std::string, std::unique_ptr<File>> files_;
};

// Stacks of names from raw samples: root first (the process's command name,
// then the outermost frame), identical stacks merged.
Profile Symbolize(const RawProfile& raw);

}  // namespace perfkit::profiler
