// Waiting for the other side of a ring without burning a core: spin a
// little with PAUSE, then sleep on a futex word in the (possibly shared)
// mapping. The other side wakes the sleeper only when it says it is asleep,
// so a busy channel makes no system calls. Sleeps are sliced so a dead peer
// is noticed and a deadline kept.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "subsystems/base/status.h"

namespace perfkit::rings {

// One per waiting side, in shared memory: process-shared futex, 8 bytes.
struct Waiter {
  std::atomic<uint32_t> word{0};      // bumped by the waker
  std::atomic<uint32_t> sleeping{0};  // 1 while the owner may be in FUTEX_WAIT
};

// Whether the process on the other side still runs: a pidfd where the
// kernel has one (no pid reuse race), else kill(pid, 0).
class PeerWatch {
 public:
  PeerWatch() = default;
  explicit PeerWatch(pid_t pid);
  ~PeerWatch();
  PeerWatch(PeerWatch&& other) noexcept;
  PeerWatch& operator=(PeerWatch&& other) noexcept;
  bool Alive() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
  int pidfd_ = -1;
};

struct WaitStats {
  uint64_t spins = 0;   // waits that ended while spinning
  uint64_t sleeps = 0;  // futex sleeps
  uint64_t wakes = 0;   // futex wakes sent
};

// Until ready() is true. Fails when the peer dies or the deadline passes;
// `what` names what was awaited in the message.
Status WaitUntil(Waiter& waiter, const std::function<bool()>& ready, const PeerWatch& peer,
                 std::chrono::steady_clock::time_point deadline, const char* what,
                 WaitStats* stats);

// After making something ready for the other side: wakes it if it sleeps.
void WakeIfSleeping(Waiter& waiter, WaitStats* stats);

}  // namespace perfkit::rings
