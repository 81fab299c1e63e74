// `perfkit jit run|test|disasm|asm`: eBPF programs (text or bytecode) through
// the interpreter, the JIT or the tiered VM, conformance-format test files,
// and the assembler both ways.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/jit/tiering.h"

namespace perfkit::app {

struct JitRunRequest {
  std::string file;  // .s/.asm text, anything else raw little-endian bytecode
  std::string mem_hex;
  std::string mem_file;
  std::string engine = "interp";
  int repeat = 1;  // calls, so the tiered engine can reach its threshold
};
struct JitRunOutcome {
  uint64_t r0 = 0;
  std::optional<jit::TieringStats> tiering;  // with the tiered engine
};
Result<JitRunOutcome> JitRun(const JitRunRequest& request);

struct JitTestResult {
  std::string file;
  bool passed = false;
  std::string detail;          // why not, or the error when one was expected
  std::string expected_error;  // set when it passed with a different message
};
// A file that cannot be read stops the run (it is not a FAIL).
Result<std::vector<JitTestResult>> JitTest(const std::vector<std::string>& files,
                                           const std::string& engine);

Result<std::string> JitDisassemble(const std::string& file);
// Assembles and verifies FILE into bytecode written to OUTPUT.
Status JitAssemble(const std::string& file, const std::string& output);

}  // namespace perfkit::app
