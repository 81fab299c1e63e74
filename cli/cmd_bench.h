// `perfkit bench`: run suites (or an external Google Benchmark executable)
// and store every repetition.
#pragma once

#include <string>
#include <vector>

#include "app/bench_request.h"
#include "app/gate.h"

namespace perfkit::cli {

struct BenchOptions {
  app::BenchFlags flags;
  std::string until_decided;  // BASE for the sequential gate
  app::GateFlags gate;
  bool gate_flags_given = false;
  std::string exec;  // a Google Benchmark executable instead of perfkit's suites
  std::vector<std::string> exec_args;
};

int RunBench(const BenchOptions& options);

}  // namespace perfkit::cli
