// `perfkit bench`: run suites (or an external Google Benchmark executable)
// and store every repetition.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "baselines/store.h"
#include "suites/harness/runner.h"

namespace perfkit::cli {

struct BenchOptions {
  std::vector<std::string> suites;
  std::string filter;
  int repetitions = 10;
  double min_time_s = 0.05;
  bool quick = false;  // 3 repetitions, 0.01 s each, unless given explicitly
  bool no_interleave = false;
  std::string db;
  std::vector<std::string> tags;
  std::string json_out;
  std::string exec;
  std::vector<std::string> exec_args;
  bool progress = false;
  bool counters = false;     // --counters given
  std::string counter_list;  // its comma-separated names; empty: the default set
};

int RunBench(const BenchOptions& options);

// One measured run of the selected benchmarks, stored as it happens
// (shared with calibrate).
struct MeasuredRun {
  RunRecord run;
  bool interrupted = false;
};
Result<MeasuredRun> MeasureIntoStore(store::Store& store, const harness::Selection& selection,
                                     const harness::RunOptions& run_options,
                                     const std::map<std::string, std::string>& tags);
harness::RunOptions ToRunOptions(const BenchOptions& options);

}  // namespace perfkit::cli
