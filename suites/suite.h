// What a suite hands the harness: its benchmarks by name and role, and the
// engines it had to leave out on this machine with the reason.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "results/result.h"
#include "subsystems/base/status.h"
#include "suites/measured.h"
#include "suites/registry.h"

namespace perfkit::suites {

struct BenchmarkSpec {
  std::string name;  // <suite>/<op>/<impl>/<size>
  Role role = Role::kOurs;
  std::function<void(benchmark::State&)> fn;
  // For runtimes that time themselves (the kernel's BPF_PROG_TEST_RUN): the
  // benchmark calls SetIterationTime, and runs a fixed number of iterations.
  bool manual_time = false;
  int64_t iterations = 0;
  // Time by the wall clock, not this thread's CPU time: for benchmarks that
  // wait on other threads, processes or the disk.
  bool real_time = false;
  std::string suite = {};  // set by the harness from the registry entry that made it
};

struct SuiteSpec {
  std::string name;
  std::string description;
  std::vector<BenchmarkSpec> benchmarks;
  std::vector<std::string> skipped;  // "crc32c/hybrid: CPU lacks VPCLMULQDQ or AVX2"
  std::vector<Claim> claims = {};
  // What perfkit's dispatch picks here, by size ("crc32c: avx512 (...)").
  std::vector<std::string> chosen = {};
  // The implementation of ours the documents measure the others against
  // ("buddy" for slab): its benchmarks get Role::kBaseline.
  std::string baseline = {};
};

// The entry's suite, its baseline implementation's benchmarks marked
// Role::kBaseline: what the harness runs and `list` shows.
SuiteSpec MakeSuite(const SuiteEntry& entry);

// Set when the user asks a run to stop (SIGINT/SIGTERM); benchmarks check it
// before they start so the remaining ones skip quickly.
bool StopRequested();
// StopRequested, and if so the benchmark is skipped as "interrupted".
bool SkipIfStopped(benchmark::State& state);

// --quick: a suite whose full matrix takes minutes makes a smaller one.
// Set by the harness before it makes the suites.
bool QuickMode();
void SetQuickMode(bool quick);

}  // namespace perfkit::suites
