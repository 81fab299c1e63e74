#include "cli/results_output.h"

#include <fmt/format.h>

#include <algorithm>

#include "app/views.h"
#include "cli/common.h"

namespace perfkit::cli {
namespace {

std::string Colored(const std::string& text, bool good, bool color) {
  if (!color) return text;
  return (good ? "\033[32m" : "\033[31m") + text + "\033[0m";
}

std::string RatioCell(const app::ResultRow& row, bool color) {
  if (row.role == Role::kPeer) return "peer";
  if (row.role == Role::kBaseline) return "baseline";
  if (!row.vs_best_peer) return "";
  const std::string text = fmt::format("{:.2f}x {}", *row.vs_best_peer, row.best_peer);
  // Pad before colouring: escape codes would break the column width.
  return Colored(fmt::format("{:<18}", text), *row.vs_best_peer >= 1.0, color);
}

std::string BaselineCell(const app::ResultRow& row) {
  return row.vs_baseline ? fmt::format("{:.2f}x {}", *row.vs_baseline, row.baseline) : "";
}

// Orders "…/*/4096" groups by their numeric size, not as strings.
template <typename Ratio>
bool GroupLess(const Ratio& a, const Ratio& b) {
  const size_t sa = a.group.rfind('/'), sb = b.group.rfind('/');
  const std::string pa = a.group.substr(0, sa), pb = b.group.substr(0, sb);
  if (pa != pb) return pa < pb;
  return std::atoll(a.group.c_str() + sa + 1) < std::atoll(b.group.c_str() + sb + 1);
}

}  // namespace

void PrintResultsTable(const RunRecord& run, std::FILE* out) {
  const bool color = UseColor(out);
  const auto rows = app::ResultRows(run);
  size_t width = 9;
  for (const auto& r : rows) width = std::max(width, r.name.size());
  bool baselines = false;
  for (const auto& r : rows) baselines |= r.role == Role::kBaseline;
  fmt::print(out, "{:<{}}  {:>4}  {:>11}  {:>6}  {:>12}  {:<18}{}\n", "benchmark", width, "reps",
             "median", "CV%", "throughput", "vs best peer", baselines ? "  vs baseline" : "");
  for (const auto& r : rows) {
    if (r.repetitions == 0) {
      fmt::print(out, "{:<{}}  {}\n", r.name, width,
                 r.error.empty() ? "not run" : "error: " + r.error);
      continue;
    }
    const std::string peer = RatioCell(r, color);
    std::string line = fmt::format("{:<{}}  {:>4}  {:>11}  {:>6.1f}  {:>12}  {}{}", r.name, width,
                                   r.repetitions, FormatDuration(r.median_ns), r.cv_percent,
                                   r.bytes_per_second ? FormatThroughput(*r.bytes_per_second) : "",
                                   baselines ? fmt::format("{:<18}", peer) : peer,
                                   baselines ? "  " + BaselineCell(r) : "");
    line.erase(line.find_last_not_of(' ') + 1);
    fmt::print(out, "{}\n", line);
  }
  auto ratios = app::PeerRatios(run);
  std::sort(ratios.begin(), ratios.end(), GroupLess<app::PeerRatio>);
  if (!ratios.empty()) {
    fmt::print(
        out,
        "\nOur best engine against the best peer (median time ratio, >1 means ours is faster):\n");
  }
  for (const auto& p : ratios) {
    fmt::print(out, "  {:<28} {:<8} vs {:<11} {}\n", p.group, p.best_ours, p.best_peer,
               Colored(fmt::format("{:.2f}x", p.ratio), p.ratio >= 1.0, color));
  }
  auto base = app::BaselineRatios(run);
  std::sort(base.begin(), base.end(), GroupLess<app::BaselineRatio>);
  if (!base.empty()) {
    fmt::print(out,
               "\nOur best engine against our baseline, as the design documents compare "
               "them (median times):\n");
  }
  for (const auto& b : base) {
    fmt::print(out, "  {:<28} {:<8} vs {:<8} {}\n", b.group, b.best_ours, b.baseline,
               app::AgainstBaseline(b.ours_ns, b.baseline_ns));
  }
}

void PrintCountersTable(const RunRecord& run, const std::vector<std::string>& requested,
                        const std::vector<std::string>& unsupported, std::FILE* out) {
  fmt::print(out,
             "\nCounters per iteration (median over repetitions; each repetition is counted "
             "whole, its setup included):\n");
  for (const std::string& u : unsupported) fmt::print(out, "  {}\n", u);
  std::vector<std::string> columns;
  std::vector<std::string> order = requested;
  for (const char* c : {"ipc", "branch-miss-pct", "cache-miss-pct", "counters-running-pct",
                        "task-clock-ns", "context-switches", "cpu-migrations", "page-faults"}) {
    order.push_back(c);
  }
  for (const std::string& c : order) {
    if (std::find(columns.begin(), columns.end(), c) != columns.end()) continue;
    for (const BenchmarkResult& b : run.benchmarks) {
      if (!b.samples.empty() && b.samples.front().counters.count(c)) {
        columns.push_back(c);
        break;
      }
    }
  }
  size_t width = 9;
  for (const BenchmarkResult& b : run.benchmarks) width = std::max(width, b.name.size());
  std::string header = fmt::format("{:<{}}", "benchmark", width);
  for (const std::string& c : columns)
    header += fmt::format("  {:>{}}", c, std::max<size_t>(c.size(), 10));
  fmt::print(out, "{}\n", header);
  for (const BenchmarkResult& b : run.benchmarks) {
    if (b.samples.empty()) continue;
    std::string line = fmt::format("{:<{}}", b.name, width);
    for (const std::string& c : columns) {
      std::vector<double> values;
      for (const Sample& s : b.samples) {
        if (auto it = s.counters.find(c); it != s.counters.end()) values.push_back(it->second);
      }
      std::string cell = "-";
      if (!values.empty()) {
        std::sort(values.begin(), values.end());
        const size_t n = values.size();
        const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
        cell = fmt::format("{:.4g}", median);
      }
      line += fmt::format("  {:>{}}", cell, std::max<size_t>(c.size(), 10));
    }
    fmt::print(out, "{}\n", line);
  }
}

void PrintClaims(const RunRecord& run, std::FILE* out) {
  if (!run.claims.empty()) fmt::print(out, "\nWhat the guides claim, measured here:\n");
  for (const ClaimResult& c : run.claims) fmt::print(out, "  {}\n", c.text);
}

void PrintSkipped(const std::vector<std::string>& skipped) {
  for (const std::string& s : skipped) fmt::print(stderr, "skipping {}\n", s);
}

void PrintGateResult(const app::GateResult& result, const std::string& format) {
  for (const std::string& w : result.warnings) fmt::print(stderr, "warning: {}\n", w);
  fmt::print("{}", app::ComparisonText(result, format, UseColor(stdout)));
}

}  // namespace perfkit::cli
