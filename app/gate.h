// The CI gate, one for every subcommand that judges two sets of results
// (compare, ab, report with a comparison, calibrate's advice): thresholds
// parsed once, metric, alpha, noise floors, the environment guard and the
// exit code, so the same two runs get the same verdict everywhere.
#pragma once

#include <string>
#include <vector>

#include "baselines/store.h"
#include "report/compare.h"
#include "report/env_guard.h"
#include "report/paired.h"
#include "report/sequential.h"
#include "results/result.h"
#include "subsystems/base/status.h"

namespace perfkit::app {

// The gate's flags as typed.
struct GateFlags {
  std::vector<std::string> thresholds;  // "5%", "crc32/*=2%"
  std::string metric = "real_time";
  double alpha = 0.05;
  bool allow_env_mismatch = false;
  bool use_noise = true;
  double noise_k = 2.0;
  std::string inconclusive = "pass";  // pass or fail
  std::string claims = "report";      // report or gate
  // The sequential gate's budget (bench --until-decided, ab --rounds auto).
  std::string budget = "10m";
  int max_repetitions = report::kSequentialCap;
};

// How long the sequential gate may measure: after the first block, only the
// undecided benchmarks get more repetitions, until each is decided, one has
// max_repetitions, or the budget's time is spent.
struct SequentialPlan {
  int first_block = report::kMinRepetitions;
  int max_repetitions = report::kSequentialCap;
  double budget_s = 600;
};

struct GateRequest {
  report::CompareOptions compare;  // noise floors are filled in per comparison
  bool allow_env_mismatch = false;
  bool use_noise = true;
  // INCONCLUSIVE verdicts fail the gate (exit 4) rather than pass it.
  bool inconclusive_fails = false;
  // A claim met by the base and not by the candidate is a regression.
  bool claims_gate = false;
  SequentialPlan plan;
};

// Fails (an invalid argument) on a threshold that is not a percentage, an
// empty glob, or an alpha or noise factor out of range (NaN included).
Result<GateRequest> MakeGateRequest(const GateFlags& flags);

struct GateResult {
  report::Comparison comparison;
  report::EnvCheck env;
  std::vector<std::string> warnings;  // for stderr
  int exit_code = 0;
};

// Warnings for incomplete runs, then the environment guard: a refusal for
// incomparable environments unless the request allows them.
Status GuardRuns(const RunRecord& base, const RunRecord& candidate, const GateRequest& request,
                 GateResult* out);

// Independent repetitions of two runs. Refuses runs from incomparable
// environments unless allowed; uses the candidate host's noise floors from
// `store` when it is given and the request wants them.
Result<GateResult> JudgeRuns(store::Store* store, const RunRecord& base, const RunRecord& candidate,
                             const GateRequest& request);

// `perfkit compare BASE CANDIDATE`: each a file, a baseline, a run id or
// uuid prefix, or "latest". Two files need no database, and none is created.
struct CompareRequest {
  std::string base;
  std::string candidate;
  GateRequest gate;
  // BASE, a baseline: its newest save made on CANDIDATE's host.
  bool same_host = false;
  store::StoreLocation db;
};
Result<GateResult> CompareRuns(const CompareRequest& request);

// Paired rounds of two builds (perfkit ab).
Result<GateResult> JudgePaired(const std::vector<report::PairedSamples>& samples,
                               const GateRequest& request);

// 1 on a regression (or, with claims_gate, a claim no longer met); 4 when
// some benchmark had too few repetitions to judge, or (inconclusive_fails)
// when some benchmark stayed INCONCLUSIVE; else 0.
int GateExitCode(const report::Comparison& c, const GateRequest& request);

// The sequential gate's account of why it stopped, for the undecided.
std::string BudgetSpent(const SequentialPlan& plan, bool out_of_time);

}  // namespace perfkit::app
