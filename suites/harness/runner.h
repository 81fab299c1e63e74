// Runs selected suite benchmarks through Google Benchmark in interleaved
// rounds: every round runs each benchmark once, in a new random order, so slow
// drift of a shared machine spreads over all benchmarks instead of biasing
// whichever ran last. Each repetition is handed over as soon as it exists.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "results/result.h"
#include "subsystems/base/status.h"
#include "suites/harness/counters.h"
#include "suites/harness/defaults.h"
#include "suites/harness/energy.h"
#include "suites/suite.h"

namespace perfkit::harness {

struct RunOptions {
  std::vector<const suites::SuiteEntry*> suites;  // from suites::ResolveSuites
  std::string filter;                             // ECMAScript regex over names; empty: all
  int repetitions = kUsualDefaults.repetitions;
  double min_time_s = kUsualDefaults.min_time_s;
  bool quick = false;                             // suites make their smaller matrix
  bool interleave = true;                         // false: rounds keep registration order
  bool progress = false;                          // a progress line on stderr
  unsigned seed = 0;                              // 0: random
  std::vector<std::string> counters;              // libpfm4 names read around each repetition
  bool energy = false;                            // energy per iteration (energy.h)
  std::optional<power::PowerModel> energy_model;  // the host's profile, for estimates
  bool energy_model_validated = false;
};

struct Selection {
  std::vector<suites::BenchmarkSpec> benchmarks;
  std::vector<std::string> suite_names;
  std::vector<std::string> skipped;        // engines the machine cannot run, with why
  std::vector<suites::Claim> claims;       // of the selected suites
  std::shared_ptr<CounterGroup> counters;  // when RunOptions asked for counters
  std::shared_ptr<EnergyMeter> energy;     // when RunOptions asked for energy and it can be had
  std::string energy_note;                 // how energy is measured, or why it is not
};

// Makes the suites' benchmarks and keeps those the filter matches, each
// labelled with its suite. Fails (an invalid argument) on a bad regex, no
// match, or an unknown counter name.
Result<Selection> Select(const RunOptions& options);

// Calls on_sample with a BenchmarkResult holding one new sample (or only an
// error) after each repetition. Stops early, returning false, when an
// interrupt was requested.
using SampleSink = std::function<void(const BenchmarkResult&)>;
// Before every round after the first: the names to measure in it (a subset
// of the selection); none ends the run early. Unset: every round runs all.
using NextRound = std::function<std::vector<std::string>(int rounds_done)>;
bool Run(const Selection& selection, const RunOptions& options, const SampleSink& on_sample,
         const NextRound& next_round = nullptr);

// Google Benchmark's own build type ("debug" or "release") as it reports it.
std::string BenchmarkLibraryBuildType();

}  // namespace perfkit::harness
