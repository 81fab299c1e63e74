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
#include <vector>

#include "subsystems/jit/isa.h"

namespace perfkit::jit {

struct ProvenAccesses {
  size_t min_memory = 0;        // 0: nothing proven
  std::vector<bool> in_bounds;  // per instruction
};

ProvenAccesses ProveAccesses(const Program& program);

}  // namespace perfkit::jit
