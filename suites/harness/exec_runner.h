// Runs an external Google Benchmark executable with perfkit's repetition and
// interleaving settings and returns the JSON it wrote.
#pragma once

#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::harness {

struct ExecOptions {
  std::string program;
  std::vector<std::string> args;  // passed after perfkit's own flags, so they win
  int repetitions = 10;
  double min_time_s = 0.05;
  std::string filter;
};

Result<std::string> RunBenchmarkExecutable(const ExecOptions& options);

}  // namespace perfkit::harness
