// The suites built into perfkit, by name: what `bench --suite`, `list` and
// the completions resolve against. Apart from suite.h so that naming a suite
// does not pull in Google Benchmark.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::suites {

struct SuiteSpec;  // suite.h

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

}  // namespace perfkit::suites
