#include "subsystems/base/clock.h"

#include <atomic>
#include <chrono>
#include <thread>

namespace perfkit {
namespace {

class SteadyClock : public Clock {
 public:
  double Now() override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void Sleep(double seconds) override {
    if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }
};

std::atomic<Clock*>& Installed() {
  static std::atomic<Clock*> clock{nullptr};
  return clock;
}

}  // namespace

Clock& SystemClock() {
  static SteadyClock* clock = new SteadyClock;
  return *clock;
}

Clock& LoopClock() {
  Clock* c = Installed().load(std::memory_order_acquire);
  return c != nullptr ? *c : SystemClock();
}

ScopedLoopClock::ScopedLoopClock(Clock& clock)
    : saved_(Installed().exchange(&clock, std::memory_order_acq_rel)) {}

ScopedLoopClock::~ScopedLoopClock() { Installed().store(saved_, std::memory_order_release); }

}  // namespace perfkit
