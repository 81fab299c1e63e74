// The Linux kernel's own eBPF JIT as a peer of the jit suite: the suite's
// programs, rewritten the way the kernel's verifier wants them (XDP packet
// bounds checks, an array map for memory), loaded with bpf(2) and timed by
// BPF_PROG_TEST_RUN, which reports the mean time per run itself.
#pragma once

#include <memory>
#include <string>

#include "subsystems/base/status.h"

namespace perfkit::suites {

class KernelBpfProgram {
 public:
  ~KernelBpfProgram();
  // Runs the program `repeat` times in the kernel; returns r0 (32 bits, as
  // the kernel reports it) and sets *mean_ns to the kernel's time per run.
  Result<uint32_t> Run(uint32_t repeat, double* mean_ns) const;

 private:
  friend Result<std::unique_ptr<KernelBpfProgram>> LoadKernelProgram(const std::string&);
  int prog_fd_ = -1;
  int map_fd_ = -1;
  std::string packet_;
};

// Empty when this process may load XDP programs, else why not.
const std::string& KernelBpfUnavailableReason();

// `workload` names one of JitWorkloads(); fails with the kernel's reason when
// it has no kernel variant or the kernel's verifier refuses it.
Result<std::unique_ptr<KernelBpfProgram>> LoadKernelProgram(const std::string& workload);

}  // namespace perfkit::suites
