// Names for JIT-compiled code: the perf map a runtime writes for itself
// (/tmp/perf-PID.map: "START SIZE name" per line, hex; node
// --perf-basic-prof, the JVM's perf-map-agent, LuaJIT, ...). The file comes
// from the profiled process, so it is read as hostile: only a regular file
// owned by that process's user or by us, not a link, bounded in size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace perfkit::profiler {

class PerfMap {
 public:
  // Reads /tmp/perf-PID.map if it is there and may be trusted; `owner` is
  // the process's uid (-1: unknown, only our own files then).
  PerfMap(uint32_t pid, long owner);
  // Parses map text (for tests and the constructor).
  static PerfMap FromText(const std::string& text);
  // The name of the entry holding `address`, or "".
  std::string Name(uint64_t address) const;
  bool empty() const { return entries_.empty(); }

 private:
  PerfMap() = default;
  struct Entry {
    uint64_t start, size;
    std::string name;
  };
  std::vector<Entry> entries_;  // sorted by start
};

}  // namespace perfkit::profiler
