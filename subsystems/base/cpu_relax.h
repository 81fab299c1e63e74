// The spin-wait hint: PAUSE on x86-64 lets the sibling hyperthread run and
// avoids the memory-order flush when the wait ends.
#pragma once

namespace perfkit {

inline void CpuRelax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

}  // namespace perfkit
