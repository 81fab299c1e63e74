// DPDK's rte_bpf (interpreter and JIT) as a peer of the jit suite, loaded
// with dlopen so perfkit neither builds nor runs against DPDK's 200-package
// development tree. Its validator refuses loops, so only the loop-free
// programs (filter, seccomp) run on it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "subsystems/base/status.h"
#include "subsystems/jit/isa.h"

namespace perfkit::suites {

class DpdkBpfProgram {
 public:
  ~DpdkBpfProgram();
  uint64_t Interpret(void* memory) const;
  uint64_t RunJit(void* memory) const { return jit_(memory); }
  bool has_jit() const { return jit_ != nullptr; }

 private:
  friend Result<std::unique_ptr<DpdkBpfProgram>> LoadDpdkProgram(const jit::Program&, size_t);
  void* bpf_ = nullptr;
  uint64_t (*jit_)(void*) = nullptr;
};

// Empty when librte_bpf loaded, else why not.
const std::string& DpdkUnavailableReason();

// r1 points at `memory_bytes` bytes; fails with DPDK's refusal (loops, ...).
Result<std::unique_ptr<DpdkBpfProgram>> LoadDpdkProgram(const jit::Program& program,
                                                        size_t memory_bytes);

}  // namespace perfkit::suites
