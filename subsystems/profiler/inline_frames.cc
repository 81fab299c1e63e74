#include "subsystems/profiler/inline_frames.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace perfkit::profiler {
namespace {

// The name a scope shows: its linkage name demangled, else its plain name,
// following DW_AT_abstract_origin to the inlined function's declaration.
std::string ScopeName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  const char* linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
  if (linkage == nullptr) {
    linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
  }
  if (linkage != nullptr) {
    int status = 0;
    char* d = abi::__cxa_demangle(linkage, nullptr, nullptr, &status);
    std::string name = status == 0 && d != nullptr ? d : linkage;
    std::free(d);
    return name;
  }
  const char* name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
  return name != nullptr ? name : "[inlined]";
}

}  // namespace

InlineFrames::InlineFrames(std::string path) : path_(std::move(path)) {}

bool InlineFrames::Open() {
  if (!opened_) {
    opened_ = true;
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ >= 0) dwarf_ = dwarf_begin(fd_, DWARF_C_READ);
  }
  return dwarf_ != nullptr;
}

std::string InlineFrames::LineAt(uint64_t vaddr) {
  Dwarf_Die cu;
  if (!Open() || dwarf_addrdie(dwarf_, vaddr, &cu) == nullptr) return "";
  Dwarf_Line* line = dwarf_getsrc_die(&cu, vaddr);
  int number = 0;
  const char* file = line != nullptr ? dwarf_linesrc(line, nullptr, nullptr) : nullptr;
  if (file == nullptr || dwarf_lineno(line, &number) != 0) return "";
  const char* base = std::strrchr(file, '/');
  return std::string(base != nullptr ? base + 1 : file) + ":" + std::to_string(number);
}

InlineFrames::~InlineFrames() {
  if (dwarf_ != nullptr) dwarf_end(dwarf_);
  if (fd_ >= 0) close(fd_);
}

const std::vector<std::string>& InlineFrames::At(uint64_t vaddr) {
  auto cached = cache_.find(vaddr);
  if (cached != cache_.end()) return cached->second;
  std::vector<std::string>& frames = cache_[vaddr];
  Dwarf_Die cu;
  if (!Open() || dwarf_addrdie(dwarf_, vaddr, &cu) == nullptr) return frames;
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes(&cu, vaddr, &scopes);
  // dwarf_getscopes leaves the concrete tree at the innermost inlined
  // subroutine (it goes on with that function's abstract scopes), so a
  // function inlined into one that was itself inlined would lose the middle
  // frame; the concrete chain comes from the scopes holding that DIE.
  int innermost = 0;
  while (innermost < n && dwarf_tag(&scopes[innermost]) != DW_TAG_inlined_subroutine &&
         dwarf_tag(&scopes[innermost]) != DW_TAG_subprogram) {
    ++innermost;
  }
  Dwarf_Die* chain = nullptr;
  const int m = innermost < n && dwarf_tag(&scopes[innermost]) == DW_TAG_inlined_subroutine
                    ? dwarf_getscopes_die(&scopes[innermost], &chain)
                    : 0;
  // Innermost first; the inlined subroutines before the first subprogram.
  for (int i = 0; i < m && dwarf_tag(&chain[i]) != DW_TAG_subprogram; ++i) {
    if (dwarf_tag(&chain[i]) == DW_TAG_inlined_subroutine) {
      frames.insert(frames.begin(), ScopeName(&chain[i]));
    }
  }
  std::free(chain);
  std::free(scopes);
  return frames;
}

}  // namespace perfkit::profiler
