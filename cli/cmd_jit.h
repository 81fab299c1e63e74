// `perfkit jit`: run eBPF programs (text or bytecode) with the interpreter,
// the JIT or the tiered VM, run conformance-format test files, and
// assemble/disassemble.
#pragma once

#include <string>
#include <vector>

#include "app/jit.h"

namespace perfkit::cli {

struct JitRunOptions {
  app::JitRunRequest run;
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
