// The virtio suite's device configurations for the guest benchmarks.
#pragma once

#include <string>
#include <vector>

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
};

// With --quick: host, builtin, qsd and perfkit; else also builtin-q16,
// builtin-iothread, perfkit-no-evidx and perfkit-no-indirect.
std::vector<DeviceConfig> GuestConfigs(bool quick);

void AddVirtioGuestBenchmarks(SuiteSpec& suite);
// "guests: tcg (why), QEMU 7.2.22, kernel 6.1.0-..." once a guest ran in
// this process; "" before.
std::string GuestEnvironment();
void AddVirtioQueueBenchmarks(SuiteSpec& suite);

}  // namespace perfkit::suites
