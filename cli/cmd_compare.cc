#include "cli/cmd_compare.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/run_ref.h"
#include "report/compare_format.h"
#include "report/env_guard.h"

namespace perfkit::cli {
namespace {

Result<double> ParsePercent(const std::string& text) {
  std::string t = text;
  if (!t.empty() && t.back() == '%') t.pop_back();
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end == nullptr || *end != '\0' || !(v >= 0) || v > 1000) {
    return Status::Error("--threshold '" + text + "' is not a percentage like 5%");
  }
  return v / 100;
}

// Refuses (exit 3) or warns about environments that make a comparison
// measure the machine rather than the change.
bool GuardEnvironment(const RunRecord& base, const RunRecord& cand, bool allow) {
  const report::EnvCheck check = report::CheckEnvironments(base.host, cand.host);
  if (!check.unknown.empty()) {
    std::string fields;
    for (const auto& f : check.unknown) fields += (fields.empty() ? "" : ", ") + f;
    fmt::print(stderr, "warning: cannot check the environment ({} not recorded on one side)\n",
               fields);
  }
  if (check.differences.empty()) return true;
  std::string diff;
  for (const auto& d : check.differences) {
    diff += (diff.empty() ? "" : "; ") + d.field + " '" + d.base + "' vs '" + d.candidate + "'";
  }
  if (!allow) {
    Fail(kExitFailure, "refusing to compare runs from different environments: " + diff +
                           " (--allow-env-mismatch to compare anyway)");
    return false;
  }
  fmt::print(stderr, "warning: environments differ: {}\n", diff);
  return true;
}

}  // namespace

Status ParseThresholds(const std::vector<std::string>& specs, report::CompareOptions& out) {
  for (const std::string& spec : specs) {
    const size_t eq = spec.rfind('=');
    auto value = ParsePercent(eq == std::string::npos ? spec : spec.substr(eq + 1));
    if (!value.ok()) return value.status();
    if (eq == std::string::npos) {
      out.threshold = *value;
    } else {
      out.threshold_overrides.emplace_back(spec.substr(0, eq), *value);
    }
  }
  return OkStatus();
}

int GateExitCode(const report::Comparison& c) {
  if (c.counts.count(report::Verdict::kRegression)) return kExitRegression;
  if (c.insufficient_data) return kExitInconclusive;
  return kExitSuccess;
}

void PrintComparison(const report::Comparison& c, const std::string& format) {
  if (format == "json") {
    fmt::print("{}", report::FormatComparisonJson(c));
  } else if (format == "markdown") {
    fmt::print("{}", report::FormatComparisonMarkdown(c));
  } else {
    fmt::print("{}", report::FormatComparisonText(c, UseColor(stdout)));
  }
}

int RunCompare(const CompareCliOptions& options) {
  report::CompareOptions compare;
  compare.metric = options.metric;
  compare.alpha = options.alpha;
  compare.noise_k = options.noise_k;
  if (Status s = ParseThresholds(options.thresholds, compare); !s.ok()) {
    return Fail(kExitUsage, s.message());
  }
  // Two files need no database; do not create one as a side effect.
  std::unique_ptr<store::Store> store;
  const bool files_only = IsFileRef(options.base) && IsFileRef(options.candidate);
  if (!files_only || std::filesystem::exists(DatabasePath(options.db))) {
    auto opened = OpenStore(options.db);
    if (!opened.ok()) return Fail(kExitFailure, opened.error());
    store = std::move(*opened);
  }
  auto base = ResolveRun(store.get(), options.base);
  if (!base.ok()) return Fail(kExitFailure, base.error());
  auto cand = ResolveRun(store.get(), options.candidate);
  if (!cand.ok()) return Fail(kExitFailure, cand.error());
  if (!GuardEnvironment(*base, *cand, options.allow_env_mismatch)) return kExitFailure;
  if (store && options.use_noise) {
    auto noise = store->LoadNoiseFloors(cand->host.fingerprint, options.metric);
    if (noise.ok()) compare.noise = *noise;
  }
  auto result = report::Compare(*base, *cand, compare);
  if (!result.ok()) return Fail(kExitFailure, result.error());
  PrintComparison(*result, options.format);
  return GateExitCode(*result);
}

Runner AddCompare(CLI::App& app) {
  auto opts = std::make_shared<CompareCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Compare two runs with Mann-Whitney U, Hodges-Lehmann intervals and Benjamini-Hochberg; "
      "exit 0 no regression, 1 regression, 2 too little data (<5 repetitions), 3 error or "
      "incomparable environments");
  cmd->add_option("base", opts->base, "Run id, uuid, 'latest', baseline name or JSON file")
      ->required();
  cmd->add_option("candidate", opts->candidate, "Same forms as BASE")->required();
  cmd->add_option("--metric", opts->metric, "real_time (default), cpu_time or a counter");
  cmd->add_option("--alpha", opts->alpha, "False discovery rate and 1 - CI level")
      ->check(CLI::Range(0.0001, 0.5));
  cmd->add_option("--threshold", opts->thresholds,
                  "Smallest change that counts, default 5%; 'GLOB=2%' overrides (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--format", opts->format, "table, markdown or json")
      ->check(CLI::IsMember({"table", "markdown", "json"}));
  cmd->add_flag("--allow-env-mismatch", opts->allow_env_mismatch,
                "Compare runs from different environments (with a warning)");
  cmd->add_option("--noise-k", opts->noise_k,
                  "Gate at max(threshold, K x calibrated noise), default 2");
  cmd->add_flag("!--no-noise", opts->use_noise, "Ignore calibrated noise floors");
  cmd->add_option("--db", opts->db, "SQLite database (default $PERFKIT_DB or ./perfkit.db)");
  return [opts] { return RunCompare(*opts); };
}

}  // namespace perfkit::cli
