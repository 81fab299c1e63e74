// DWARF call-frame unwinding of the user stack the kernel copies into each
// sample (PERF_SAMPLE_REGS_USER + PERF_SAMPLE_STACK_USER), through libdw.
// It finds callers through code built without frame pointers, which
// Debian's glibc and libstdc++ are. One libdw session per process, rebuilt
// only when a file-backed mapping is added.
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "subsystems/profiler/profile.h"

namespace perfkit::profiler {

// The user registers a sample carries, as perf_event_attr::sample_regs_user
// (0 on architectures the unwinder does not know: DWARF mode is then off).
uint64_t UnwindRegisterMask();

struct UserStack {
  const uint64_t* regs = nullptr;  // in mask bit order, as the sample has them
  const uint8_t* stack = nullptr;  // copied from the stack pointer up
  size_t size = 0;
};

namespace internal {
struct UnwindState {
  const UserStack* stack = nullptr;
  uint64_t sp = 0;
};
}  // namespace internal

class Unwinder {
 public:
  Unwinder();
  ~Unwinder();
  Unwinder(const Unwinder&) = delete;
  Unwinder& operator=(const Unwinder&) = delete;

  // Appends the user frames of `tid`, leaf first, to `ips`. Stops where the
  // copied stack ends or no unwind information covers a frame; adds at
  // least the sampled instruction pointer.
  void Unwind(uint32_t pid, uint32_t tid, const std::vector<Mapping>& maps, const UserStack& stack,
              std::vector<uint64_t>* ips);

 private:
  struct Process;
  Process* For(uint32_t pid, const std::vector<Mapping>& maps);
  std::map<uint32_t, std::unique_ptr<Process>> processes_;
  internal::UnwindState current_;  // what the libdw callbacks read
};

// This process's vdso image: every process on a kernel maps the same one.
const std::vector<uint8_t>& VdsoImage();

}  // namespace perfkit::profiler
