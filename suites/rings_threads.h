// Threads for the rings suite: pinning to distinct CPUs, and telling whether
// two threads really ran at the same time (on time-sliced virtual CPUs a
// round trip waits for a scheduler tick, and the figure would measure the
// hypervisor, not the ring).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace perfkit::suites {

// The CPUs this process may run on, as they were at the first call.
std::vector<int> AllowedCpus();

// Pins the calling thread; false when the kernel refuses.
bool PinThisThread(int cpu);

// The calling thread's affinity, restored on destruction.
class AffinityGuard {
 public:
  AffinityGuard();
  ~AffinityGuard();

 private:
  std::vector<int> saved_;
};

// Involuntary context switches of the calling thread so far.
int64_t InvoluntarySwitches();

// Round trips of a raw cache line between this thread and one on `echo_cpu`
// (the floor a ring's round trip is measured against): the median over
// chunks of round trips, in ns.
double PingPongFloorNs(int my_cpu, int echo_cpu, int round_trips);

// A round-trip median this long means the two threads took turns on a CPU.
inline constexpr double kTimeSlicedNs = 20000;

std::string NotConcurrent(double median_ns);

}  // namespace perfkit::suites
