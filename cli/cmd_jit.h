// `perfkit jit`: run eBPF programs (text or bytecode) with the interpreter,
// the JIT or the tiered VM, run conformance-format test files, and
// assemble/disassemble.
#pragma once

#include <string>
#include <vector>

namespace perfkit::cli {

struct JitRunOptions {
  std::string file;  // .s/.asm text, anything else raw little-endian bytecode
  std::string mem_hex;
  std::string mem_file;
  std::string engine = "interp";
  int repeat = 1;      // calls, so the tiered engine can reach its threshold
  bool stats = false;  // tiering statistics on stderr
};
int RunJitRun(const JitRunOptions& options);

struct JitTestOptions {
  std::vector<std::string> files;
  std::string engine = "interp";
};
int RunJitTest(const JitTestOptions& options);

int RunJitDisasm(const std::string& file);
int RunJitAsm(const std::string& file, const std::string& output);

}  // namespace perfkit::cli
