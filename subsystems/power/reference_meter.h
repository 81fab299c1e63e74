// An external power meter's log as a CSV of `timestamp,watts` (Unix seconds,
// optional header): the ground truth on a machine with no energy counter.
// The file is read after the loads ran, so a logger may append to it
// during the run.
#pragma once

#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::power {

class ReferenceMeter {
 public:
  // Refuses, naming the line: a field that is not a finite number, negative
  // watts, a timestamp that does not increase, or a gap longer than
  // `max_gap_s` between two readings.
  static constexpr double kMaxGapSeconds = 5;
  static Result<ReferenceMeter> Load(const std::string& path, double max_gap_s = kMaxGapSeconds);

  // Joules between two Unix times, the readings joined by straight lines;
  // fails when the log does not cover the interval.
  Result<double> Joules(double from, double to) const;

  const std::string& path() const { return path_; }
  double last_reading() const { return t_.back(); }  // Unix seconds

 private:
  std::string path_;
  std::vector<double> t_, w_;
};

}  // namespace perfkit::power
