#include "subsystems/rings/wait.h"

#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "subsystems/base/cpu_relax.h"

namespace perfkit::rings {
namespace {

// Spin this long before sleeping: longer than the other side takes over a
// 1 MiB payload (100-250 us at 4-10 GB/s), so a busy channel carrying large
// messages never pays a futex wake-up (tens of us on a virtual CPU; 2000
// PAUSEs, 23-52 us, left the 1 MiB channel at 77% of its hand-off bound),
// and short enough that an idle side soon stops burning its CPU.
constexpr auto kSpinFor = std::chrono::microseconds(250);
constexpr auto kSlice = std::chrono::milliseconds(20);

// Process-shared (no FUTEX_PRIVATE_FLAG): the word may live in a memfd.
void FutexWait(std::atomic<uint32_t>& word, uint32_t expected, std::chrono::nanoseconds timeout) {
  timespec ts{static_cast<time_t>(timeout.count() / 1000000000),
              static_cast<long>(timeout.count() % 1000000000)};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

void FutexWake(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace

PeerWatch::PeerWatch(pid_t pid) : pid_(pid) {
#ifdef SYS_pidfd_open
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#endif
}

PeerWatch::~PeerWatch() {
  if (pidfd_ >= 0) close(pidfd_);
}

PeerWatch::PeerWatch(PeerWatch&& other) noexcept : pid_(other.pid_), pidfd_(other.pidfd_) {
  other.pidfd_ = -1;
}

PeerWatch& PeerWatch::operator=(PeerWatch&& other) noexcept {
  if (this != &other) {
    if (pidfd_ >= 0) close(pidfd_);
    pid_ = other.pid_;
    pidfd_ = other.pidfd_;
    other.pidfd_ = -1;
  }
  return *this;
}

bool PeerWatch::Alive() const {
  if (pid_ <= 0) return true;  // no peer to watch
  if (pidfd_ >= 0) {
    pollfd p{pidfd_, POLLIN, 0};
    return poll(&p, 1, 0) == 0;  // readable once the process has exited
  }
  return kill(pid_, 0) == 0 || errno == EPERM;
}

Status WaitUntil(Waiter& waiter, const std::function<bool()>& ready, const PeerWatch& peer,
                 std::chrono::steady_clock::time_point deadline, const char* what,
                 WaitStats* stats) {
  const auto spin_until = std::chrono::steady_clock::now() + kSpinFor;
  for (int i = 1;; ++i) {
    if (ready()) {
      if (stats) ++stats->spins;
      return OkStatus();
    }
    CpuRelax();
    // The clock every 64 PAUSEs: a vDSO read is cheap next to 64 of them.
    if (i % 64 == 0 && std::chrono::steady_clock::now() >= spin_until) break;
  }
  for (;;) {
    const uint32_t seen = waiter.word.load(std::memory_order_acquire);
    waiter.sleeping.store(1, std::memory_order_seq_cst);
    // Checked again after saying so: a waker that published before this
    // saw no sleeper, and one that publishes after will wake us.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (ready()) {
      waiter.sleeping.store(0, std::memory_order_relaxed);
      return OkStatus();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      waiter.sleeping.store(0, std::memory_order_relaxed);
      return Status::Error(std::string("timed out waiting for ") + what);
    }
    if (stats) ++stats->sleeps;
    FutexWait(waiter.word, seen, std::min<std::chrono::nanoseconds>(kSlice, deadline - now));
    waiter.sleeping.store(0, std::memory_order_relaxed);
    if (ready()) return OkStatus();
    if (!peer.Alive()) {
      return Status::Error("the peer process (pid " + std::to_string(peer.pid()) +
                           ") died while perfkit waited for " + what);
    }
  }
}

void WakeIfSleeping(Waiter& waiter, WaitStats* stats) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (waiter.sleeping.load(std::memory_order_relaxed) == 0) return;
  waiter.word.fetch_add(1, std::memory_order_release);
  FutexWake(waiter.word);
  if (stats) ++stats->wakes;
}

}  // namespace perfkit::rings
