#include "report/compare_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "report/markdown_escape.h"
#include "report/units.h"

namespace perfkit::report {
namespace {

std::string FormatInterval(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return "[unbounded]";
  return fmt::format("[{:.3f}, {:.3f}]", lo, hi);
}

const char* Colour(Verdict v) {
  switch (v) {
    case Verdict::kRegression:
      return "\033[31m";
    case Verdict::kImprovement:
      return "\033[32m";
    case Verdict::kInconclusive:
      return "\033[33m";
    case Verdict::kNoChange:
      break;
  }
  return "";
}

std::string Summary(const Comparison& c) {
  auto count = [&](Verdict v) {
    auto it = c.counts.find(v);
    return it == c.counts.end() ? 0 : it->second;
  };
  const std::string intervals =
      c.method.empty() ? fmt::format("{:.0f}% intervals, one-sided bounds at {:.0f}%",
                                     (1 - 2 * c.alpha) * 100, (1 - c.alpha) * 100)
                       : fmt::format("{:.0f}% repeated intervals, one-sided bounds at {:.0f}%",
                                     (1 - 2 * c.alpha) * 100, (1 - c.alpha) * 100);
  std::string s = fmt::format(
      "geometric mean ratio {:.3f} {} over {} benchmarks ({}; {})\n"
      "{} regressions, {} improvements, {} no change, {} inconclusive\n",
      c.geomean, FormatInterval(c.geomean_lower, c.geomean_upper), c.benchmarks.size(),
      c.higher_is_better ? "higher is better" : "lower is better", intervals,
      count(Verdict::kRegression), count(Verdict::kImprovement), count(Verdict::kNoChange),
      count(Verdict::kInconclusive));
  if (!c.method.empty()) s += c.method + "\n";
  if (c.claims_compared > 0) {
    s += fmt::format("claims: {} in both runs, {} changed status\n", c.claims_compared,
                     c.claim_changes.size());
  }
  for (const ClaimChange& ch : c.claim_changes) {
    s += fmt::format("  {}{}: {} -> {}{}\n", ch.lost() ? "NO LONGER MET: " : "", ch.topic,
                     ClaimStatusName(ch.before), ClaimStatusName(ch.after),
                     ch.has_values ? fmt::format(" ({:.3g} -> {:.3g} {})", ch.value_before,
                                                 ch.value_after, ch.unit)
                                   : "");
  }
  if (!c.only_in_base.empty() || !c.only_in_candidate.empty()) {
    s += fmt::format("not compared: {} only in the base, {} only in the candidate\n",
                     c.only_in_base.size(), c.only_in_candidate.size());
  }
  return s;
}

// Notes that change how a result should be read: gates below the noise.
std::vector<std::string> Notes(const Comparison& c) {
  std::vector<std::string> notes;
  for (const auto& b : c.benchmarks) {
    if (b.noise >= 0 && b.effective_threshold > b.threshold) {
      notes.push_back(fmt::format(
          "{}: the {:.1f}% gate is below its noise floor ({:.1f}% between runs of one build); "
          "judged at {:.1f}%, smallest detectable change now {:.1f}%",
          b.name, b.threshold * 100, std::expm1(b.noise) * 100, b.effective_threshold * 100,
          b.min_detectable_effect * 100));
    }
  }
  return notes;
}

nlohmann::ordered_json ClaimChangesJson(const Comparison& c) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ClaimChange& ch : c.claim_changes) {
    out.push_back({{"id", ch.id},
                   {"before", ClaimStatusName(ch.before)},
                   {"after", ClaimStatusName(ch.after)},
                   {"no_longer_met", ch.lost()},
                   {"value_before", ch.has_values ? nlohmann::json(ch.value_before) : nullptr},
                   {"value_after", ch.has_values ? nlohmann::json(ch.value_after) : nullptr},
                   {"unit", ch.unit}});
  }
  return out;
}

}  // namespace

std::string FormatComparisonText(const Comparison& c, bool color) {
  size_t width = 9;
  for (const auto& b : c.benchmarks) width = std::max(width, b.name.size());
  std::string out =
      ChangeLegend(c.metric, c.higher_is_better) + "\n" +
      fmt::format("{:<{}}  {:>11}  {:>11}  {:>13}  {:>16}  {:>8}  {}\n", "benchmark", width, "base",
                  "candidate", "change", "ratio CI", "p (adj)", "verdict");
  for (const auto& b : c.benchmarks) {
    std::string verdict = VerdictName(b.verdict);
    if (color && *Colour(b.verdict)) verdict = Colour(b.verdict) + verdict + "\033[0m";
    out += fmt::format(
        "{:<{}}  {:>11}  {:>11}  {:>13}  {:>16}  {:>8.3g}  {}{}\n", b.name, width,
        FormatMetric(c.metric, b.median_base), FormatMetric(c.metric, b.median_candidate),
        FormatChange(b.ratio, c.higher_is_better), FormatInterval(b.ratio_lower, b.ratio_upper),
        b.p_worse_adjusted, verdict, b.note.empty() ? "" : "  (" + b.note + ")");
  }
  out += "\n" + Summary(c);
  for (const auto& n : Notes(c)) out += "note: " + n + "\n";
  return out;
}

std::string FormatComparisonMarkdown(const Comparison& c) {
  std::string out = ChangeLegend(c.metric, c.higher_is_better) +
                    ".\n\n"
                    "| Benchmark | Baseline | New | Change | Ratio CI | p (adj) | Verdict |\n"
                    "|---|---:|---:|---:|---:|---:|---|\n";
  for (const auto& b : c.benchmarks) {
    out += fmt::format(
        "| {} | {} | {} | {} | {} | {:.3g} | {}{} |\n", MarkdownCode(b.name),
        FormatMetric(c.metric, b.median_base), FormatMetric(c.metric, b.median_candidate),
        FormatChange(b.ratio, c.higher_is_better), FormatInterval(b.ratio_lower, b.ratio_upper),
        b.p_worse_adjusted,
        b.verdict == Verdict::kRegression ? "**REGRESSION**" : VerdictName(b.verdict),
        b.note.empty() ? "" : " (" + b.note + ")");
  }
  out += "\n";
  std::string summary = Summary(c);
  for (size_t pos; (pos = summary.find('\n')) != std::string::npos;) {
    out += summary.substr(0, pos) + "  \n";
    summary.erase(0, pos + 1);
  }
  for (const auto& n : Notes(c)) out += "> " + n + "\n";
  return out;
}

std::string FormatComparisonJson(const Comparison& c) {
  auto num = [](double v) -> nlohmann::json {
    if (!std::isfinite(v)) return nullptr;
    return v;
  };
  nlohmann::ordered_json benchmarks = nlohmann::ordered_json::array();
  for (const auto& b : c.benchmarks) {
    benchmarks.push_back(
        {{"name", b.name},
         {"n_base", b.n_base},
         {"n_candidate", b.n_candidate},
         {"median_base", num(b.median_base)},
         {"median_candidate", num(b.median_candidate)},
         {"ratio", num(b.ratio)},
         {"change", FormatChange(b.ratio, c.higher_is_better)},
         {"ratio_ci", {num(b.ratio_lower), num(b.ratio_upper)}},
         {"p_two_sided", b.p_two_sided},
         {"p_worse", b.p_worse},
         {"p_worse_adjusted", b.p_worse_adjusted},
         {"p_better_adjusted", b.p_better_adjusted},
         {"threshold", b.threshold},
         {"effective_threshold", b.effective_threshold},
         {"noise", b.noise < 0 ? nlohmann::json(nullptr) : nlohmann::json(b.noise)},
         {"min_detectable_effect", num(b.min_detectable_effect)},
         {"verdict", VerdictName(b.verdict)},
         {"note", b.note}});
  }
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  for (Verdict v :
       {Verdict::kRegression, Verdict::kImprovement, Verdict::kNoChange, Verdict::kInconclusive}) {
    auto it = c.counts.find(v);
    counts[VerdictName(v)] = it == c.counts.end() ? 0 : it->second;
  }
  nlohmann::ordered_json doc = {
      {"metric", c.metric},
      {"higher_is_better", c.higher_is_better},
      {"alpha", c.alpha},
      {"ci_level", 1 - 2 * c.alpha},
      {"summary",
       {{"geomean_ratio", num(c.geomean)},
        {"geomean_ci", {num(c.geomean_lower), num(c.geomean_upper)}},
        {"counts", counts},
        {"insufficient_data", c.insufficient_data},
        {"method", c.method.empty() ? "fixed" : c.method}}},
      {"benchmarks", benchmarks},
      {"claim_changes", ClaimChangesJson(c)},
      {"only_in_base", c.only_in_base},
      {"only_in_candidate", c.only_in_candidate},
  };
  return doc.dump(2) + "\n";
}

}  // namespace perfkit::report
