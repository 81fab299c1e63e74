// The per-benchmark summary `perfkit bench` prints: median, spread,
// throughput and, where a suite runs peers, how ours compares to the best one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/result.h"

namespace perfkit::report {

struct ResultRow {
  std::string name;
  Role role = Role::kUnknown;
  size_t repetitions = 0;
  double median_ns = 0;
  double cv_percent = 0;
  std::optional<double> bytes_per_second;  // median over repetitions
  // For our benchmarks: best peer's median time / ours (>1: ours is faster).
  std::optional<double> vs_best_peer;
  std::string best_peer;
  // The same against our in-repo baseline (the buddy allocator, the
  // interpreter, ...): its median time / ours.
  std::optional<double> vs_baseline;
  std::string baseline;
  std::string error;
};

// "For each op and size, our best engine against the best peer."
struct PeerRatio {
  std::string group;  // crc32/crc32c/*/4096
  std::string best_ours;
  std::string best_peer;
  double ratio = 0;  // best peer median time / best ours median time
};

// "For each op and size, our best engine against the baseline."
struct BaselineRatio {
  std::string group;
  std::string best_ours;
  std::string baseline;
  double ours_ns = 0;
  double baseline_ns = 0;
};

std::vector<ResultRow> BuildResultRows(const RunRecord& run);
std::vector<PeerRatio> BuildPeerRatios(const RunRecord& run);
std::vector<BaselineRatio> BuildBaselineRatios(const RunRecord& run);
// The documents' way: "950 ns vs 28.00 us: 96.6% lower, 29.5x faster".
std::string AgainstBaseline(double ours_ns, double baseline_ns);

// Splits "<suite>/<op>/<impl>/<size>" into its group "<suite>/<op>/*/<size>"
// and impl ("<suite>/<op>/<impl>": group "<suite>/<op>/*"); nullopt for
// names of another shape.
struct NameParts {
  std::string group;
  std::string impl;
};
std::optional<NameParts> SplitName(const std::string& name);

}  // namespace perfkit::report
