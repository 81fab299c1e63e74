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
  // The program is another perfkit build: run its `bench` with these suites
  // (into a throw-away database) instead of Google Benchmark flags.
  bool perfkit_build = false;
  std::vector<std::string> suites;
  bool quiet = false;  // discard the program's own output
};

Result<std::string> RunBenchmarkExecutable(const ExecOptions& options);

// The first line `program --version` prints, or an error.
Result<std::string> ProgramVersion(const std::string& program);

}  // namespace perfkit::harness
