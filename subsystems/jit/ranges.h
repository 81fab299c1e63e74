// What the JIT may leave out of a verified program's code, by abstract
// interpretation: each register is a number in an unsigned range, or the
// memory's start (r1 on entry) plus an offset in a range; ranges are
// narrowed by comparisons with constants and widened at loop heads, then
// narrowed again. From that: which loads and stores stay inside memory of
// at least `min_memory` bytes (no run-time check needed there), and a bound
// on the work budget any run can spend (no counting needed for a budget at
// least that large). The JIT keeps a fully checked copy of the code for
// runs that do not qualify. Programs with local calls or callx are left
// alone.
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
