// Which loads and stores of a verified program stay inside its memory, by
// abstract interpretation: each register is a number in an unsigned range,
// or the memory's start (r1 on entry) plus an offset in a range; ranges are
// narrowed by comparisons with constants and widened at loop heads, then
// narrowed again. An access proven in bounds for every run whose memory has
// at least `min_memory` bytes needs no run-time check there (the JIT keeps
// a checked copy for smaller memory). Programs with local calls or callx
// are left alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "subsystems/jit/isa.h"

namespace perfkit::jit {

struct ProvenAccesses {
  size_t min_memory = 0;        // 0: nothing proven
  std::vector<bool> in_bounds;  // per instruction
};

ProvenAccesses ProveAccesses(const Program& program);

// An upper bound on the work budget (vm.h) any run of the program can
// spend, when every loop is a counted one: a single entry, a register that
// only one add changes and that grows on every pass, and a comparison with
// a constant, on every pass, that leaves the loop once the register passes
// it. A run whose budget is at least this never stops on it, so the JIT can
// leave the charges out. kUnbounded otherwise.
inline constexpr uint64_t kUnbounded = ~uint64_t{0};
uint64_t MaxWork(const Program& program);

}  // namespace perfkit::jit
