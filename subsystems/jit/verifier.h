// The verifier every program passes before it runs: instruction encoding,
// control flow (jumps in range, never into the middle of lddw or another
// function, no falling off the end, no recursion), registers (r10 is never
// written, no register is read before every path to it wrote it) and stack
// offsets from r10. Loops are allowed; the engines bound them at run time
// with a work budget (vm.h). Each rejection names the instruction.
#pragma once

#include "subsystems/base/status.h"
#include "subsystems/jit/isa.h"
#include "subsystems/jit/vm.h"

namespace perfkit::jit {

inline constexpr size_t kMaxInsns = 65536;

Status Verify(const Program& program, const HelperTable& helpers);

// Registers an instruction reads and writes (bit r = register r), and those
// it leaves undefined (r1-r5 after a call).
struct Effects {
  uint16_t reads = 0;
  uint16_t writes = 0;
  uint16_t clobbers = 0;
};
Effects EffectsOf(const Insn& in);

}  // namespace perfkit::jit
