// What to measure, checked once: suites resolved against the registry,
// filter, repetitions, counters, tags and the store. Every child perfkit
// that measures (profile --suite, ab on perfkit builds) gets its argv from
// ToArgv(), never from strings rebuilt elsewhere.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "baselines/location.h"
#include "subsystems/base/status.h"
#include "suites/harness/runner.h"

namespace perfkit::app {

// What bench measures when not told (the one place: suites/harness/defaults.h).
using harness::DefaultsFor;
using harness::kQuickDefaults;
using harness::kUsualDefaults;

// `bench`'s flags as typed.
struct BenchFlags {
  std::vector<std::string> suites;
  std::string filter;
  std::optional<int> repetitions;    // unset: harness::DefaultsFor(quick)
  std::optional<double> min_time_s;  // unset: harness::DefaultsFor(quick)
  bool quick = false;
  bool no_interleave = false;
  std::optional<std::string> counters;  // set: --counters given; empty: the default set
  bool energy = false;
  std::vector<std::string> tags;
  std::string db;  // --db as given
  std::string json_out;
  bool progress = false;
};

struct BenchRequest {
  harness::RunOptions run;
  std::map<std::string, std::string> tags;
  store::StoreLocation db;
  std::string json_out;

  // `bench` and the flags that reproduce this request, for a child perfkit
  // (without the program name). A PostgreSQL location is not among them: it
  // may hold a password, and any local user can read a command line
  // (/proc/PID/cmdline); the child gets it from ChildEnv().
  std::vector<std::string> ToArgv() const;
  // The environment a child perfkit started with ToArgv() needs: the store's
  // location where the argv leaves it out (/proc/PID/environ is the owner's).
  std::map<std::string, std::optional<std::string>> ChildEnv() const;
};

// Fails (an invalid argument) on an unknown suite, a bad tag, an empty
// counter list, or numbers out of range (NaN included).
Result<BenchRequest> MakeBenchRequest(const BenchFlags& flags);

// KEY=VALUE pairs.
Result<std::map<std::string, std::string>> ParseTags(const std::vector<std::string>& tags);

}  // namespace perfkit::app
