// Per-benchmark counters for `perfkit bench --counters`: the hardware events
// read as one perf group around each repetition (scaled by time enabled over
// time running when the PMU multiplexes), plus the software events every
// kernel has. A counter that cannot be opened here is kept as a named
// "not supported" note, never dropped.
#pragma once

#include <benchmark/benchmark.h>
#include <linux/perf_event.h>

#include <memory>
#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::harness {

// The default set, as `--counters` alone asks for it.
const std::vector<std::string>& DefaultCounters();

class CounterGroup {
 public:
  // Fails on a name libpfm4 does not know. Counts the calling thread and the
  // threads it starts from now on.
  static Result<std::unique_ptr<CounterGroup>> Open(const std::vector<std::string>& names);
  ~CounterGroup();

  void Start();
  // Stops counting and adds the counts per iteration, and the derived ratios,
  // to the state's counters.
  void Stop(benchmark::State& state);

  // "cycles: not supported (no CPU PMU)", one per counter that cannot count.
  const std::vector<std::string>& unsupported() const { return unsupported_; }

 private:
  struct Group {
    int leader = -1;
    std::vector<int> fds;
    std::vector<std::string> names;
  };
  CounterGroup() = default;
  void Add(Group& group, const std::string& name, perf_event_attr attr);
  void Read(const Group& group, bool report_scaling, benchmark::State& state);

  Group hardware_;
  Group software_;
  std::vector<std::string> unsupported_;
};

}  // namespace perfkit::harness
