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
  using Entry = uint64_t (*)(void* context);
  virtual ~CompiledProgram() = default;
  // Same results and faults as Interpret() on the same program.
  virtual Result<uint64_t> Run(Memory memory, const RunOptions& options = {}) const = 0;
  virtual size_t code_bytes() const = 0;
  // For Invocation: the code for memory of this size and this work budget
  // (accesses proven in bounds for it go unchecked, and a budget the
  // program provably cannot exhaust is not counted).
  virtual Entry entry(size_t memory_bytes, uint64_t work_budget) const = 0;
};

// A compiled program bound to one memory region, for many calls from one
// thread: the context (memory bounds, stack, budget) is built once and a
// call is one direct call into the code, without virtual dispatch or a
// Result (Run() costs about twice as much). After a call, faulted() says
// whether it faulted (it returned 0 then), FaultStatus() why; the next call
// starts afresh. The program must outlive it.
class Invocation {
 public:
  Invocation(const CompiledProgram& program, Memory memory, const RunOptions& options = {});
  ~Invocation();
  Invocation(const Invocation&) = delete;
  Invocation& operator=(const Invocation&) = delete;

  uint64_t Call() { return entry_(context_); }
  bool faulted() const;
  Status FaultStatus() const;

 private:
  CompiledProgram::Entry entry_;
  void* context_;  // jit_x64.cc's Context
};

// Empty when the JIT can run here; otherwise why not.
const char* JitUnavailableReason();

// `program` must have passed Verify() with the same helper table.
Result<std::unique_ptr<CompiledProgram>> Compile(const Program& program,
                                                 const HelperTable& helpers);

}  // namespace perfkit::jit
