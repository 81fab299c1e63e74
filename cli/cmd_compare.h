// `perfkit compare BASE CANDIDATE`: the CI gate. Exit 0 no regression, 1
// regression, 2 too little data, 3 error or incomparable environments.
#pragma once

#include <string>
#include <vector>

#include "report/compare.h"

namespace perfkit::cli {

struct CompareCliOptions {
  std::string base;
  std::string candidate;
  std::string metric = "real_time";
  double alpha = 0.05;
  std::vector<std::string> thresholds;  // "5%", "crc32/*=2%"
  std::string format = "table";          // table, markdown, json
  bool allow_env_mismatch = false;
  bool use_noise = true;
  double noise_k = 2.0;
  std::string db;
};

int RunCompare(const CompareCliOptions& options);

// "5%" or "5" is 5%; "GLOB=2%" is an override for matching benchmarks.
Status ParseThresholds(const std::vector<std::string>& specs, report::CompareOptions& out);

// The exit code of a finished comparison.
int GateExitCode(const report::Comparison& c);

// Prints a comparison in the chosen format.
void PrintComparison(const report::Comparison& c, const std::string& format);

}  // namespace perfkit::cli
