// The clock that perfkit's control loops read and wait on (power budgets and
// calibration, power recording, the store's wait for a restarted server),
// so a test can drive minutes of such a loop in no time. Benchmarks time
// themselves with their own clocks; this one decides when to stop waiting.
#pragma once

namespace perfkit {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double Now() = 0;  // seconds, monotonic, from an arbitrary origin
  virtual void Sleep(double seconds) = 0;
};

// The steady clock and a real sleep.
Clock& SystemClock();

// The clock control loops use: SystemClock() unless a test installed another.
Clock& LoopClock();

// While it lives, LoopClock() is `clock` (tests; not for use across threads
// that are already waiting on the old one).
class ScopedLoopClock {
 public:
  explicit ScopedLoopClock(Clock& clock);
  ~ScopedLoopClock();
  ScopedLoopClock(const ScopedLoopClock&) = delete;
  ScopedLoopClock& operator=(const ScopedLoopClock&) = delete;

 private:
  Clock* saved_;
};

// A clock that moves only when slept on or advanced: a sleep returns at once.
class ManualClock : public Clock {
 public:
  double Now() override { return now_; }
  void Sleep(double seconds) override { now_ += seconds > 0 ? seconds : 0; }
  void Advance(double seconds) { Sleep(seconds); }

 private:
  double now_ = 0;
};

}  // namespace perfkit
