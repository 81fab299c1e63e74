// What a suite hands the harness: its benchmarks by name and role, and the
// engines it had to leave out on this machine with the reason.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "suites/result.h"

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

// What a run measured, by benchmark name: the median time (ns per
// iteration) of those that ran, and why the others failed or were skipped.
struct Measured {
  std::map<std::string, double> medians;
  std::map<std::string, std::vector<double>> times;  // every repetition's, ns per iteration
  std::map<std::string, std::map<std::string, double>> counters;  // each counter's median
  std::map<std::string, std::string> errors;
};
// A claim from the performance guides, checked against a run: one line
// saying what this machine measured or why it could not, or "" when the run
// did not include the benchmarks it needs (filtered out).
using Claim = std::function<std::string(const Measured&)>;

struct SuiteSpec {
  std::string name;
  std::string description;
  std::vector<BenchmarkSpec> benchmarks;
  std::vector<std::string> skipped;  // "crc32c/hybrid: CPU lacks VPCLMULQDQ or AVX2"
  std::vector<Claim> claims = {};
  // What perfkit's dispatch picks here, by size ("crc32c: avx512 (...)").
  std::vector<std::string> chosen = {};
};

struct SuiteEntry {
  const char* name;
  const char* description;
  SuiteSpec (*make)();
  // In `perfkit bench` without --suite; long or memory-hungry suites run
  // only when named.
  bool in_default_run = true;
  // Static TLS its peers need beyond what glibc spares for dlopen (bytes);
  // the process that runs the suite must have reserved it at start-up.
  size_t static_tls_bytes = 0;
  // Repetitions when --repetitions is not given, in both modes (0: the
  // usual 10, or 3 with --quick): a suite whose repetition takes seconds.
  int repetitions = 0;
};

// Every suite built into perfkit, in the order `bench` runs them.
const std::vector<SuiteEntry>& AllSuites();
const SuiteEntry* FindSuite(const std::string& name);
std::string SuiteNames();  // "crc32, memops" for error messages

// The one check of suite names against the registry: an unknown name is an
// invalid argument listing the suites. No names: the default run.
Result<std::vector<const SuiteEntry*>> ResolveSuites(const std::vector<std::string>& names);

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
