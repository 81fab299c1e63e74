// Event names (libpfm4's, e.g. `cycles:u`, `instructions`,
// `perf::task-clock`) resolved to a perf_event_attr.
#pragma once

#include <linux/perf_event.h>

#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::profiler {

// Fails with libpfm4's reason and a pointer to `perfkit list events`.
Result<perf_event_attr> ResolveEvent(const std::string& name);

// The software event every kernel has: what sampling falls back to without a PMU.
perf_event_attr TaskClock();

}  // namespace perfkit::profiler

namespace perfkit::profiler {

struct EventInfo {
  std::string name;  // pmu::event, as -e and --counters take it
  std::string description;
  bool opens = false;  // perf_event_open accepted it here (user space, this process)
};

// Every event of every PMU libpfm4 finds on this machine (its software and
// generic perf events included), each tried with perf_event_open.
std::vector<EventInfo> ListEvents();

}  // namespace perfkit::profiler
