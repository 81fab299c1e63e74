// Native code for a verified program. x86-64 only (jit_x64.cc, with xbyak);
// elsewhere Compile() fails with the reason and callers use the interpreter.
// Code pages are written, then made read+execute: never both at once.
#pragma once

#include <memory>

#include "subsystems/base/status.h"
#include "subsystems/jit/isa.h"
#include "subsystems/jit/vm.h"

namespace perfkit::jit {

class CompiledProgram {
 public:
  virtual ~CompiledProgram() = default;
  // Same results and faults as Interpret() on the same program.
  virtual Result<uint64_t> Run(Memory memory, const RunOptions& options = {}) const = 0;
  virtual size_t code_bytes() const = 0;
};

// Empty when the JIT can run here; otherwise why not.
const char* JitUnavailableReason();

// `program` must have passed Verify() with the same helper table.
Result<std::unique_ptr<CompiledProgram>> Compile(const Program& program,
                                                 const HelperTable& helpers);

}  // namespace perfkit::jit
