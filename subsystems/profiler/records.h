// Parsing the records of a perf_event ring buffer into a RawProfile:
// samples (with DWARF unwinding of the copied user stack, while the
// mappings are those of the moment), mmaps, command names, forks, and
// lost and throttled counts, and with off-CPU sampling the switch-ins.
#pragma once

#include <cstddef>
#include <cstdint>

#include "subsystems/profiler/profile.h"
#include "subsystems/profiler/unwinder.h"

namespace perfkit::profiler {

class RecordParser {
 public:
  // `dwarf`: samples carry user registers and a stack copy after the chain.
  explicit RecordParser(bool dwarf) : dwarf_(dwarf) {}

  // One whole record, header included. Malformed records are skipped.
  // `off_cpu`: the record came from the switch-out event's ring.
  void Parse(const uint8_t* record, size_t size, RawProfile* out, bool off_cpu = false);

 private:
  void ParseSample(const uint8_t* p, const uint8_t* end, RawProfile* out, bool off_cpu);
  void ReadUserStack(const uint8_t* p, const uint8_t* end, RawProfile* out, RawSample* s);

  bool dwarf_;
  Unwinder unwinder_;
};

}  // namespace perfkit::profiler
