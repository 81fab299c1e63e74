// The virtio suite's device configurations for the guest benchmarks.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "qemu/launcher.h"
#include "subsystems/base/subprocess.h"
#include "suites/suite.h"

namespace perfkit::suites {

enum class DeviceKind { kHost, kBuiltin, kQsd, kPerfkit };

struct DeviceConfig {
  std::string name;  // the benchmark name's last part
  DeviceKind kind;
  int queue_size;
  bool iothread;
  bool event_idx;
  bool indirect;
  Role role;
  // Queues of the disk, vCPUs of the guest and jobs of its one test
  // (randread-4k-qd32 as 4 jobs of depth 8 for 4); 1: all four tests.
  int queues = 1;
};

// With --quick: host, builtin, qsd and perfkit; else also builtin-q16,
// builtin-iothread, perfkit-no-evidx, perfkit-no-indirect, and with four
// queues builtin-mq4 and perfkit-mq4.
std::vector<DeviceConfig> GuestConfigs(bool quick);

void AddVirtioGuestBenchmarks(SuiteSpec& suite);
// "guests: tcg (why), QEMU 7.2.22, kernel 6.1.0-..." once a guest ran in
// this process; "" before.
std::string GuestEnvironment();
void AddVirtioQueueBenchmarks(SuiteSpec& suite);

// What every guest benchmark stands on: the image, QEMU, perfkit and the
// acceleration, probed once (a KVM smoke boot) by the first caller.
struct GuestLab {
  std::string unavailable;  // why no guest can run here
  qemu::GuestImage image;
  std::string qemu, perfkit, qemu_version;
  qemu::AccelChoice accel;
};
GuestLab ProbedGuestLab();
// `perfkit virtio serve-...` (spawn.argv) once it says it listens (within
// 10 s, through --ready-fd), its output discarded; ended again if not.
Result<std::unique_ptr<Process>> StartListening(SpawnOptions spawn);
// A benchmark fed from a guest boot: it sets its own time (per request or
// datagram) and runs one iteration per round.
BenchmarkSpec GuestResultBenchmark(std::string name, Role role,
                                   std::function<void(benchmark::State&)> fn);
// Why no guest can run here ("" if one can), without probing anything.
std::string GuestUnavailable();
// The network card's benchmarks: perfkit's vhost-user-net device
// reflecting UDP (virtio_net_guest.cc).
void AddVirtioNetBenchmarks(SuiteSpec& suite);

}  // namespace perfkit::suites
