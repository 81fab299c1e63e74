// Where energy comes from: the only ground truth the power model has. A
// probe chain, the first source that works wins, and every source that
// does not work says why:
//   powercap  /sys/class/powercap/<zone>/energy_uj (RAPL; AMD packages too)
//   perf      the `power` PMU's energy-pkg event through perf_event_open
//   msr       /dev/cpu/N/msr: Intel 0x611 (units 0x606), AMD 0xC001029B
//             (units 0xC0010299)
//   hwmon     /sys/class/hwmon/*/energyN_input, else powerN_input integrated
// Every path is taken under $PERFKIT_SYSFS_ROOT (sysfs.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::power {

class EnergySource {
 public:
  virtual ~EnergySource() = default;
  // "powercap (package-0)", what a result names as its source.
  virtual std::string name() const = 0;
  // Joules since the source was opened, counter wrap-around included (read
  // at least once per wrap period: minutes for RAPL).
  virtual Result<double> Joules() = 0;
};

struct EnergyProbe {
  std::unique_ptr<EnergySource> source;  // null: none here
  std::vector<std::string> unavailable;  // "powercap: no /sys/class/powercap", in probe order
  // "none (powercap: ...; perf: ...; msr: ...; hwmon: ...)" or the source's name.
  std::string Describe() const;
};

EnergyProbe ProbeEnergy();

Result<std::unique_ptr<EnergySource>> OpenPowercap();
Result<std::unique_ptr<EnergySource>> OpenPerfPower();
Result<std::unique_ptr<EnergySource>> OpenMsr();
Result<std::unique_ptr<EnergySource>> OpenHwmon();

// A counter of `bits` bits (or that wraps at `range`) read into a running
// total: a reading below the last one has wrapped once.
class WrapCounter {
 public:
  explicit WrapCounter(uint64_t range) : range_(range) {}
  // The total of increments so far, in raw units.
  uint64_t Add(uint64_t raw);

 private:
  uint64_t range_;
  bool first_ = true;
  uint64_t last_ = 0;
  uint64_t total_ = 0;
};

// The `power` PMU's event as sysfs describes it ("event=0x02", its .scale
// and .unit files).
struct PerfPowerEvent {
  uint32_t type = 0;
  uint64_t config = 0;
  double scale = 0;  // joules per count when unit is "Joules"
  std::string unit;
};
Result<PerfPowerEvent> ReadPerfPowerEvent(const std::string& event);

}  // namespace perfkit::power
