// perfkit tune: our CRC engines timed across sizes, and copies and sets with
// cached against streaming stores from the L2 size up, on this machine; the
// fastest engine per size band and where streaming starts to win become
// dispatch's choices here (FFTW's wisdom, for perfkit).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "results/result.h"
#include "results/tuning.h"

namespace perfkit::suites {

struct TuneOptions {
  bool quick = false;
  std::function<void(const std::string&)> progress;  // "crc32c: 7 of 21 sizes"
};

struct TuneMeasurement {
  Tuning tuning;                            // choices only: host and run are the caller's
  std::vector<BenchmarkResult> benchmarks;  // every cell, one sample per round
  std::vector<std::string> notes;           // what the choices rest on, one line each
};

TuneMeasurement MeasureTuning(const TuneOptions& options);

// Per size, each engine's median time: the fastest engine per band. An
// engine keeps its band while it is within `hysteresis` of the fastest, and
// `preferred` (the default choice) wins a new band when it is; so noise
// between engines that run the same code at a size does not make bands.
std::vector<TunedBand> ChooseBands(const std::map<size_t, std::map<std::string, double>>& ns,
                                   const std::string& preferred, double hysteresis = 0.03);
// Per size (increasing), cached time over streaming time: the smallest size
// from which streaming won (by 2%) at that size and every larger one;
// kNeverStream when it did not win at the largest.
uint64_t ChooseStreamFrom(const std::vector<std::pair<size_t, double>>& cached_over_streamed);

}  // namespace perfkit::suites
