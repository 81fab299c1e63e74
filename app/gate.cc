#include "app/gate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "app/database.h"
#include "app/exit_status.h"
#include "app/power.h"
#include "app/run_ref.h"

namespace perfkit::app {
namespace {

// A plain decimal: no sign, exponent, hex or blanks (strtod takes "0x10"
// as 16). Without '%', a number below 1 reads as a fraction to some and a
// percentage to others: it is refused rather than guessed.
Result<double> ParsePercent(const std::string& spec, const std::string& text) {
  std::string t = text;
  const bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  const bool decimal = !t.empty() && t.find_first_not_of("0123456789.") == std::string::npos &&
                       std::count(t.begin(), t.end(), '.') <= 1 && t.front() != '.' &&
                       t.back() != '.';
  const double v = decimal ? std::strtod(t.c_str(), nullptr) : -1;
  if (!decimal || v > 1000) {
    return Status::InvalidArgument("--threshold '" + spec +
                                   "' is not a percentage like 5% (0 to 1000)");
  }
  if (!percent && v > 0 && v < 1) {
    return Status::InvalidArgument(
        fmt::format("--threshold '{}' is ambiguous: write {:g}% for that fraction, or {}% if you "
                    "mean {} percent",
                    spec, v * 100, t, t));
  }
  return v / 100;
}

Status ParseThresholds(const std::vector<std::string>& specs, report::CompareOptions& out) {
  for (const std::string& spec : specs) {
    const size_t eq = spec.rfind('=');
    auto value = ParsePercent(spec, eq == std::string::npos ? spec : spec.substr(eq + 1));
    if (!value.ok()) return value.status();
    if (eq == std::string::npos) {
      out.threshold = *value;
    } else if (eq == 0) {
      return Status::InvalidArgument("--threshold '" + spec +
                                     "' has no benchmark glob before '=' (like 'crc32/*=2%')");
    } else {
      out.threshold_overrides.emplace_back(spec.substr(0, eq), *value);
    }
  }
  return OkStatus();
}

// Warnings, or a refusal, for environments that make a comparison measure
// the machine rather than the change.
Status GuardEnvironment(const report::EnvCheck& check, bool allow, GateResult* out) {
  if (!check.unknown.empty()) {
    std::string fields;
    for (const auto& f : check.unknown) fields += (fields.empty() ? "" : ", ") + f;
    out->warnings.push_back("cannot check the environment (" + fields +
                            " not recorded on one side)");
  }
  if (check.differences.empty()) return OkStatus();
  std::string diff;
  for (const auto& d : check.differences) {
    diff += (diff.empty() ? "" : "; ") + d.field + " '" + d.base + "' vs '" + d.candidate + "'";
  }
  if (!allow) {
    return Status::Error("refusing to compare runs from different environments: " + diff +
                         " (--allow-env-mismatch to compare anyway)");
  }
  out->warnings.push_back("environments differ: " + diff);
  return OkStatus();
}

}  // namespace

Result<GateRequest> MakeGateRequest(const GateFlags& flags) {
  GateRequest r;
  r.compare.metric = flags.metric;
  if (!std::isfinite(flags.alpha) || flags.alpha < 0.0001 || flags.alpha > 0.5) {
    return Status::InvalidArgument("--alpha must be a number from 0.0001 to 0.5");
  }
  if (!std::isfinite(flags.noise_k) || flags.noise_k <= 0 || flags.noise_k > 100) {
    return Status::InvalidArgument("--noise-k must be a number above 0 and at most 100");
  }
  r.compare.alpha = flags.alpha;
  r.compare.noise_k = flags.noise_k;
  if (Status s = ParseThresholds(flags.thresholds, r.compare); !s.ok()) return s;
  r.allow_env_mismatch = flags.allow_env_mismatch;
  r.use_noise = flags.use_noise;
  if (flags.inconclusive != "pass" && flags.inconclusive != "fail") {
    return Status::InvalidArgument("--inconclusive must be pass or fail, not '" +
                                   flags.inconclusive + "'");
  }
  r.inconclusive_fails = flags.inconclusive == "fail";
  if (flags.claims != "report" && flags.claims != "gate") {
    return Status::InvalidArgument("--claims must be report or gate, not '" + flags.claims + "'");
  }
  r.claims_gate = flags.claims == "gate";
  auto budget = ParseDuration(flags.budget);
  if (!budget.ok()) return Status::InvalidArgument("--budget: " + budget.error());
  r.plan.budget_s = *budget;
  if (flags.max_repetitions < r.plan.first_block || flags.max_repetitions > 100000) {
    return Status::InvalidArgument(
        fmt::format("--max-repetitions must be from {} to 100000", r.plan.first_block));
  }
  r.plan.max_repetitions = flags.max_repetitions;
  return r;
}

Status GuardRuns(const RunRecord& base, const RunRecord& candidate, const GateRequest& request,
                 GateResult* out) {
  for (const RunRecord* run : {&base, &candidate}) {
    const std::string note = report::IncompleteRunNote(*run);
    if (!note.empty()) out->warnings.push_back((run == &base ? "base: " : "candidate: ") + note);
  }
  out->env = report::CheckEnvironments(base.host, candidate.host);
  return GuardEnvironment(out->env, request.allow_env_mismatch, out);
}

Result<GateResult> JudgeRuns(store::Store* store, const RunRecord& base, const RunRecord& candidate,
                             const GateRequest& request) {
  GateResult out;
  if (Status s = GuardRuns(base, candidate, request, &out); !s.ok()) return s;
  report::CompareOptions compare = request.compare;
  if (store != nullptr && request.use_noise) {
    auto noise = store->LoadNoiseFloors(candidate.host.fingerprint, compare.metric);
    if (noise.ok()) compare.noise = *noise;
  }
  auto c = report::Compare(base, candidate, compare);
  if (!c.ok()) return c.status();
  out.comparison = std::move(*c);
  out.exit_code = GateExitCode(out.comparison, request);
  return out;
}

Result<GateResult> JudgePaired(const std::vector<report::PairedSamples>& samples,
                               const GateRequest& request) {
  if (samples.empty()) return Status::Error("OLD and NEW have no benchmark in common");
  GateResult out;
  out.comparison = report::ComparePaired(samples, request.compare);
  out.exit_code = GateExitCode(out.comparison, request);
  return out;
}

int GateExitCode(const report::Comparison& c, const GateRequest& request) {
  if (c.counts.count(report::Verdict::kRegression)) return kExitRegression;
  if (request.claims_gate && std::any_of(c.claim_changes.begin(), c.claim_changes.end(),
                                         [](const report::ClaimChange& ch) { return ch.lost(); })) {
    return kExitRegression;
  }
  if (c.insufficient_data) return kExitInconclusive;
  if (request.inconclusive_fails && c.counts.count(report::Verdict::kInconclusive)) {
    return kExitInconclusive;
  }
  return kExitSuccess;
}

std::string BudgetSpent(const SequentialPlan& plan, bool out_of_time) {
  if (out_of_time) return fmt::format("the --budget of {:g} s was spent", plan.budget_s);
  return fmt::format("--max-repetitions {} reached", plan.max_repetitions);
}

Result<GateResult> CompareRuns(const CompareRequest& r) {
  std::unique_ptr<store::Store> store;
  const bool files_only = IsFileRef(r.base) && IsFileRef(r.candidate);
  if (!files_only || r.db.MayHoldRuns()) {
    auto opened = OpenStore(r.db, store::OpenMode::kReadOnly);
    if (!opened.ok()) return opened.status();
    store = std::move(*opened);
  }
  // --same-host: BASE depends on CANDIDATE's host; otherwise in order.
  Result<RunRecord> base = Status::Error("");
  if (!r.same_host) {
    base = ResolveRun(store.get(), r.base);
    if (!base.ok()) return base.status();
  }
  auto cand = ResolveRun(store.get(), r.candidate);
  if (!cand.ok()) return cand.status();
  if (r.same_host) {
    base = ResolveRun(store.get(), r.base, cand->host.fingerprint);
    if (!base.ok()) return base.status();
  }
  return JudgeRuns(store.get(), *base, *cand, r.gate);
}

}  // namespace perfkit::app
