// What both engines share: the helper table the host registers, the memory
// a program may touch, and the run-time limits. A program runs only after
// Verify() (verifier.h) accepted it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "subsystems/base/status.h"
#include "subsystems/jit/isa.h"

namespace perfkit::jit {

using HelperFn = uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

// Helpers by id, called with r1..r5; the result lands in r0.
class HelperTable {
 public:
  static constexpr int kMaxHelpers = 64;
  void Register(int id, HelperFn fn);
  HelperFn Find(int64_t id) const {
    return id >= 0 && id < kMaxHelpers ? fns_[static_cast<size_t>(id)] : nullptr;
  }
  const HelperFn* data() const { return fns_.data(); }

 private:
  std::array<HelperFn, kMaxHelpers> fns_{};
};

// The helpers `perfkit jit`, the plugin and the tests register: 0
// gather_bytes(a..e) packs five bytes, 2 no_op, 3 sqrti (integer square
// root), 5 identity returns r1. None of them touches memory.
const HelperTable& StandardHelpers();

struct RunOptions {
  // Loops are not proven bounded, so work is metered: a backward jump taken
  // spends as many units as the instructions it jumps back over (the loop
  // body), a local call as many as the program has plus one. A run then
  // executes at most work_budget + program length + 1 instructions (and
  // its helpers' work) before it stops with an error; both engines charge
  // alike, so they stop at the same instruction.
  uint64_t work_budget = uint64_t{1} << 28;
  // kStackBytes * kMaxCallDepth bytes for the call frames, or null for the
  // engine's own. Differential tests hand both engines the same buffer so
  // values derived from r10 agree.
  uint8_t* stack = nullptr;
};
inline constexpr size_t kStackRegionBytes = size_t{kStackBytes} * kMaxCallDepth;

// r1 = mem, r2 = mem_size on entry, as ubpf and the conformance suite do.
struct Memory {
  uint8_t* data = nullptr;
  size_t size = 0;
};

// Why a run stopped early, with the instruction it stopped at.
enum class Fault : uint32_t {
  kNone = 0,
  kOutOfBounds,
  kBudget,
  kCallDepth,
  kBadHelper,
  kMisaligned,  // an atomic that would straddle its natural alignment
};
// Where a run's memory and stack were, so a fault's address is told
// relative to them: a host address in a message would tell a program's
// author where perfkit's heap is, and nothing they could use.
struct RunSpace {
  uint64_t mem_lo = 0;
  uint64_t mem_size = 0;
  uint64_t stack_top = 0;  // the first frame's r10
};
std::string DescribeFault(Fault fault, uint32_t pc, uint64_t address, int bytes,
                          const RunSpace& space);

namespace internal {
// Zeroes one 512-byte frame with vector stores (a constant-size memset
// becomes `rep stos`, which costs more to start than the whole store).
void ZeroFrame(uint8_t* frame);
}  // namespace internal

Result<uint64_t> Interpret(const Program& program, const HelperTable& helpers, Memory memory,
                           const RunOptions& options = {});

}  // namespace perfkit::jit
