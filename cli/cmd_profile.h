// `perfkit profile`: sample a command and its threads and children
// (`-- CMD ARGS...`), a running process (`-p`) or perfkit's own benchmarks
// (`--suite`, stored with their run); print a hotspot table and write
// folded stacks, a flame graph or speedscope JSON. `profile diff A B`
// shows how profile B differs from A.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/bench_request.h"

namespace perfkit::cli {

struct ProfileOptions {
  std::vector<std::string> command;
  app::BenchFlags suite;  // --suite and its measuring flags
  int pid = 0;            // -p: a running process instead of a command
  double duration = 10;   // seconds, with -p
  std::string event = "cycles";
  uint64_t frequency = 999;
  uint64_t period = 0;
  std::string call_graph = "dwarf";  // fp, dwarf or dwarf,STACK_BYTES
  size_t buffer_pages = 0;           // 0: the sampler's default for the call-graph mode
  std::string output;                // empty: the hotspot table on stdout only
  std::string format;                // folded, svg or speedscope (default: from -o's extension)
  std::string title;
  double min_width = 0.1;  // pixels, for svg
  bool inverted = false;   // svg as an icicle graph
  size_t top = 25;
  std::string table;           // the hotspot table's file ("-": stdout); empty: stderr
  std::string by = "process";  // stack roots: process, pid or thread
  bool children = false;       // rank the table by inclusive share
  bool inlined = true;         // frames for inlined functions (--no-inline: not)
  bool off_cpu = false;        // wall-clock view: switch-outs weighted by their wait
  bool lines = false;          // leaf frames carry their source line
};

int RunProfile(const ProfileOptions& options);

struct ProfileDiffOptions {
  std::string before;  // folded-stack files or runs with a stored profile
  std::string after;
  std::string output;  // the SVG; empty: the table only
  std::string db;      // for run references
  std::string title;
  double min_width = 0.1;
  size_t top = 25;
};

int RunProfileDiff(const ProfileDiffOptions& options);

}  // namespace perfkit::cli
