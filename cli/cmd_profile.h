// `perfkit profile`: sample a command and its threads and children
// (`-- CMD ARGS...`), a running process (`-p`) or perfkit's own benchmarks
// (`--suite`, stored with their run); print a hotspot table and write
// folded stacks, a flame graph or speedscope JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace perfkit::cli {

struct ProfileOptions {
  std::vector<std::string> command;
  std::string suite;  // `perfkit bench --suite` under the profiler, stored with its run
  std::string filter;
  std::string db;
  bool quick = false;
  int repetitions = 0;   // 0: bench's default
  int pid = 0;           // -p: a running process instead of a command
  double duration = 10;  // seconds, with -p
  std::string event = "cycles";
  uint64_t frequency = 999;
  uint64_t period = 0;
  std::string call_graph = "dwarf";  // fp, dwarf or dwarf,STACK_BYTES
  std::string output;                // empty: the hotspot table on stdout only
  std::string format;                // what -o writes: folded or svg (default: from its extension)
  std::string title;
  double min_width = 0.1;   // pixels, for svg
  bool inverted = false;    // svg as an icicle graph
  size_t buffer_pages = 0;  // 0: the sampler's default for the call-graph mode
  size_t top = 25;
};

int RunProfile(const ProfileOptions& options);

}  // namespace perfkit::cli
