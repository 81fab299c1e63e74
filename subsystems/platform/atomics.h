// Three ways to ask a cold-start flag "was I first?": lock xchg by inline
// assembly, std::atomic's exchange, and test-and-test-and-set (a plain load
// first, the exchange only while the flag is clear); and a counter bumped by
// a plain load and store (one writer) or by lock xadd (any number).
#pragma once

#include <atomic>
#include <cstdint>

namespace perfkit::platform {

// Each sets the flag and returns what it held before: 0 for exactly one
// caller however many race. Inline, so a benchmark times the instruction and
// not a call.
inline uint8_t LockXchgFlag(std::atomic<uint8_t>* flag) {
#if defined(__x86_64__)
  uint8_t v = 1;
  // xchg with a memory operand is locked whether or not it says so.
  __asm__ volatile("xchgb %0, %1"
                   : "+q"(v), "+m"(*reinterpret_cast<volatile uint8_t*>(flag))
                   :
                   : "memory");
  return v;
#else
  return flag->exchange(1);
#endif
}

inline uint8_t ExchangeFlag(std::atomic<uint8_t>* flag) { return flag->exchange(1); }

inline uint8_t TestAndTestAndSetFlag(std::atomic<uint8_t>* flag) {
  return flag->load(std::memory_order_acquire) != 0 ? 1 : flag->exchange(1);
}

// Adds 1 `times` times. Unlocked is right only with one writer per counter,
// which is what false sharing measures: no data shared, only the line.
inline void AddUnlocked(std::atomic<uint64_t>* counter, int64_t times) {
  for (int64_t i = 0; i < times; ++i) {
    counter->store(counter->load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
}

inline void AddLocked(std::atomic<uint64_t>* counter, int64_t times) {
  for (int64_t i = 0; i < times; ++i) counter->fetch_add(1, std::memory_order_relaxed);
}

}  // namespace perfkit::platform
