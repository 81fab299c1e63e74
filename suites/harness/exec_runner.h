// Runs another benchmark program in a fresh process and returns the JSON it
// wrote: an external Google Benchmark executable with perfkit's repetition
// and interleaving settings, or any program given its argv (another perfkit
// build's `bench`, for `perfkit ab`).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/base/subprocess.h"
#include "suites/harness/defaults.h"

namespace perfkit::harness {

struct ExecOptions {
  std::string program;
  std::vector<std::string> args;  // passed after perfkit's own flags, so they win
  int repetitions = kUsualDefaults.repetitions;
  double min_time_s = kUsualDefaults.min_time_s;
  std::string filter;
  bool interleave = true;
  bool quiet = false;  // discard the program's own output
};

// A Google Benchmark executable, with --benchmark_out into a scratch file.
Result<std::string> RunBenchmarkExecutable(const ExecOptions& options,
                                           Launcher& launcher = SystemLauncher());

// The argv `make_argv` builds for a fresh scratch directory DIR, run to its
// end; returns what the program wrote to DIR/out.json. The directory is
// removed afterwards.
using ArgvForDir = std::function<std::vector<std::string>(const std::string& dir)>;
Result<std::string> RunForJson(const ArgvForDir& make_argv, bool quiet,
                               Launcher& launcher = SystemLauncher());

// The first line `program --version` prints, or an error.
Result<std::string> ProgramVersion(const std::string& program,
                                   Launcher& launcher = SystemLauncher());

}  // namespace perfkit::harness
