// The functions inlined at an address, from the file's DWARF (libdw): what
// perf report --inline shows. A -g build's hot leaf is often several
// functions folded into one symbol; each gets its own frame.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct Dwarf;

namespace perfkit::profiler {

class InlineFrames {
 public:
  // `path` is read lazily, on the first lookup; a file without DWARF gives
  // no inlined frames.
  explicit InlineFrames(std::string path);
  ~InlineFrames();
  InlineFrames(const InlineFrames&) = delete;
  InlineFrames& operator=(const InlineFrames&) = delete;

  // The inlined functions at `vaddr` (an address as the ELF file gives it),
  // outermost first, without the function that holds them (the symbol).
  const std::vector<std::string>& At(uint64_t vaddr);
  // "file.c:123" for `vaddr` from the line table, or "".
  std::string LineAt(uint64_t vaddr);

 private:
  bool Open();

  std::string path_;
  bool opened_ = false;
  int fd_ = -1;
  Dwarf* dwarf_ = nullptr;
  std::map<uint64_t, std::vector<std::string>> cache_;
};

}  // namespace perfkit::profiler
