#include "report/markdown_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "report/claims_section.h"
#include "report/exports.h"
#include "report/history.h"
#include "report/markdown_escape.h"
#include "report/report_profiles.h"
#include "report/results_table.h"
#include "report/stats.h"
#include "report/units.h"

namespace perfkit::report {
namespace {

// Results from outside perfkit's suites (--exec, imports of other tools'
// JSON) have no suite and share one section.
std::string SuiteOf(const BenchmarkResult& b) { return b.suite.empty() ? "benchmarks" : b.suite; }

bool Selected(const ReportInput& in, const std::string& suite) {
  return in.suites.empty() ||
         std::find(in.suites.begin(), in.suites.end(), suite) != in.suites.end();
}

const RunRecord& Latest(const ReportInput& in) { return in.runs.back().run; }

std::vector<double> Times(const BenchmarkResult& b) {
  std::vector<double> v;
  for (const Sample& s : b.samples) {
    if (std::isfinite(s.real_time_ns)) v.push_back(s.real_time_ns);
  }
  return v;
}

// Linear interpolation between order statistics (numpy's default), so that
// P50 is the median.
double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = p / 100 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string Caches(const HostContext& h) {
  std::string out;
  for (const auto& [level, bytes] : h.cache_bytes) {
    out += (out.empty() ? "" : ", ") + level + " " + FormatBytes(bytes);
  }
  return out.empty() ? "unknown" : out;
}

std::string Or(const std::string& s, const char* fallback) { return s.empty() ? fallback : s; }

std::string EnvironmentSection(const ReportInput& in) {
  std::string out = "## Environment\n\n|   |";
  for (const auto& r : in.runs)
    out += fmt::format(" {} (run {}) |", MarkdownText(r.label), r.run.id);
  out += "\n|---|";
  for (size_t i = 0; i < in.runs.size(); ++i) out += "---|";
  out += "\n";
  const auto row = [&](const char* name, auto field) {
    out += fmt::format("| {} |", name);
    for (const auto& r : in.runs) out += " " + MarkdownText(field(r.run)) + " |";
    out += "\n";
  };
  row("CPU", [](const RunRecord& r) { return Or(r.host.cpu_model, "unknown"); });
  row("Cores", [](const RunRecord& r) {
    return fmt::format("{} logical, {} physical, SMT {}", r.host.logical_cpus,
                       r.host.physical_cores, r.host.smt ? "on" : "off");
  });
  row("Caches", [](const RunRecord& r) { return Caches(r.host); });
  row("Kernel", [](const RunRecord& r) { return Or(r.host.kernel, "unknown"); });
  row("VM", [](const RunRecord& r) { return Or(r.host.hypervisor, "none detected"); });
  row("Governor / boost", [](const RunRecord& r) {
    return Or(r.host.governor, "unknown") + " / " + Or(r.host.boost, "unknown");
  });
  row("Build", [](const RunRecord& r) {
    std::string flags = r.host.build_flags;
    flags.erase(0, flags.find_first_not_of(' '));
    return Or(r.host.build_type, "unknown") + ", " + Or(r.host.compiler, "unknown compiler") +
           (flags.empty() ? "" : ", " + flags);
  });
  row("perfkit", [](const RunRecord& r) {
    return Or(r.perfkit_version, "unknown") +
           (r.git_commit.empty() ? "" : " (" + r.git_commit.substr(0, 10) + ")");
  });
  // The virtio suite's guests: QEMU, accelerator and guest kernel.
  const auto guests = [](const RunRecord& r) {
    for (const ClaimResult& c : r.claims) {
      if (c.id == "virtio/guest-environment") return c.text;
    }
    return std::string();
  };
  if (std::any_of(in.runs.begin(), in.runs.end(),
                  [&](const ReportRun& r) { return !guests(r.run).empty(); })) {
    row("Guests (virtio)", [&](const RunRecord& r) { return Or(guests(r), "none"); });
  }
  row("Started", [](const RunRecord& r) { return Or(r.started_at, "unknown"); });
  row("Status", [](const RunRecord& r) { return std::string(RunStatusName(r.status)); });
  std::vector<std::string> warnings;
  for (const auto& d : in.env.differences) {
    warnings.push_back(
        fmt::format("environments differ in {}: '{}' vs '{}'", d.field, d.base, d.candidate));
  }
  for (const auto& r : in.runs) {
    const std::string note = IncompleteRunNote(r.run);
    if (!note.empty()) warnings.push_back(r.label + ": " + note);
  }
  if (!warnings.empty()) {
    out += "\n> **Warning**\n";
    for (const auto& w : warnings) out += "> - " + w + "\n";
  }
  return out + "\n";
}

std::string PlotLinks(const std::vector<PlotJob>& made, const std::string& section) {
  std::string out;
  for (const auto& p : made) {
    if (p.section != section) continue;
    const std::string stem = p.output.substr(0, p.output.rfind('.'));
    out +=
        fmt::format("![{}]({})\n\n*{}* ([SVG]({}.svg))\n\n", p.caption, p.output, p.caption, stem);
  }
  return out;
}

std::string SummarySection(const ReportInput& in, const std::vector<PlotJob>& made) {
  const Comparison& c = *in.comparison;
  auto count = [&](Verdict v) {
    auto it = c.counts.find(v);
    return it == c.counts.end() ? 0 : it->second;
  };
  std::string out = "## Summary\n\n";
  out += fmt::format(
      "Geometric mean ratio (candidate / base, {}) **{:.3f}** {} over {} "
      "benchmarks: **{} regressions**, {} improvements, {} no change, {} inconclusive.\n\n",
      c.higher_is_better ? "higher is better" : "lower is better", c.geomean,
      std::isfinite(c.geomean_upper)
          ? fmt::format("[{:.3f}, {:.3f}]", c.geomean_lower, c.geomean_upper)
          : "[unbounded]",
      c.benchmarks.size(), count(Verdict::kRegression), count(Verdict::kImprovement),
      count(Verdict::kNoChange), count(Verdict::kInconclusive));
  std::vector<const BenchmarkComparison*> reg, imp;
  for (const auto& b : c.benchmarks) {
    if (b.verdict == Verdict::kRegression) reg.push_back(&b);
    if (b.verdict == Verdict::kImprovement) imp.push_back(&b);
  }
  const auto worst = [&](const BenchmarkComparison* a, const BenchmarkComparison* b) {
    return c.higher_is_better ? a->ratio < b->ratio : a->ratio > b->ratio;
  };
  std::sort(reg.begin(), reg.end(), worst);
  std::sort(imp.begin(), imp.end(), [&](auto* a, auto* b) { return worst(b, a); });
  const auto list = [&](const char* title, const std::vector<const BenchmarkComparison*>& v) {
    if (v.empty()) return;
    out += fmt::format("{}:\n\n", title);
    for (size_t i = 0; i < std::min<size_t>(5, v.size()); ++i) {
      out += fmt::format("- {}: {} (ratio {:.3f}, [{:.3f}, {:.3f}])\n", MarkdownCode(v[i]->name),
                         FormatChange(v[i]->ratio, c.higher_is_better), v[i]->ratio,
                         v[i]->ratio_lower, v[i]->ratio_upper);
    }
    out += "\n";
  };
  list("Worst regressions", reg);
  list("Best improvements", imp);
  return out + PlotLinks(made, "summary");
}

std::string ComparisonTable(const ReportInput& in, const std::string& suite) {
  const Comparison& c = *in.comparison;
  std::string out = fmt::format(
      "{}.\n\n"
      "| Benchmark | Baseline | New | Change | {:.0f}% CI of ratio | p (adj) | Verdict |\n"
      "|---|---:|---:|---:|---:|---:|---|\n",
      ChangeLegend(c.metric, c.higher_is_better), (1 - 2 * c.alpha) * 100);
  const std::set<std::string> names = [&] {
    std::set<std::string> s;
    for (const auto& b : Latest(in).benchmarks) {
      if (SuiteOf(b) == suite) s.insert(b.name);
    }
    return s;
  }();
  for (const auto& b : c.benchmarks) {
    if (!names.count(b.name)) continue;
    const std::string ci = std::isfinite(b.ratio_lower) && std::isfinite(b.ratio_upper)
                               ? fmt::format("[{:.3f}, {:.3f}]", b.ratio_lower, b.ratio_upper)
                               : "unbounded";
    out += fmt::format(
        "| {} | {} | {} | {} | {} | {:.3g} | {}{} |\n", MarkdownCode(b.name),
        FormatMetric(c.metric, b.median_base), FormatMetric(c.metric, b.median_candidate),
        FormatChange(b.ratio, c.higher_is_better), ci, b.p_worse_adjusted,
        b.verdict == Verdict::kRegression ? "**REGRESSION**" : VerdictName(b.verdict),
        b.note.empty() ? "" : " (" + b.note + ")");
  }
  return out + "\n";
}

// Our best engine against our own baseline, in the documents' words.
std::string BaselineList(const RunRecord& run, const std::string& suite) {
  std::string out;
  for (const BaselineRatio& b : BuildBaselineRatios(run)) {
    if (b.group.rfind(suite + "/", 0) != 0) continue;
    out +=
        fmt::format("- {}: {} against {}: {}\n", MarkdownCode(b.group), MarkdownText(b.best_ours),
                    MarkdownText(b.baseline), AgainstBaseline(b.ours_ns, b.baseline_ns));
  }
  return out.empty() ? "" : "Against our baseline:\n\n" + out + "\n";
}

// P99 of fewer than 100 repetitions would be their maximum under another
// name: it is shown only where there are enough, and the table says so.
constexpr size_t kP99Repetitions = 100;

std::string StatsTable(const RunRecord& run, const std::string& suite) {
  std::string out =
      "| Benchmark | Reps | Mean | P50 | P99 | Min | Max | CV% | Throughput | vs best peer |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  const auto rows = BuildResultRows(run);
  bool short_of_p99 = false;
  for (size_t i = 0; i < run.benchmarks.size(); ++i) {
    const BenchmarkResult& b = run.benchmarks[i];
    if (SuiteOf(b) != suite) continue;
    const auto& r = rows[i];
    const auto t = Times(b);
    if (t.empty()) {
      out += fmt::format("| {} | 0 | {} | | | | | | | |\n", MarkdownCode(b.name),
                         b.error.empty() ? "not run" : MarkdownText(b.error));
      continue;
    }
    const std::string peer =
        r.role == Role::kPeer ? "peer"
        : r.vs_best_peer ? fmt::format("{:.2f}x {}", *r.vs_best_peer, MarkdownText(r.best_peer))
                         : "";
    short_of_p99 |= t.size() < kP99Repetitions;
    const std::string p99 = t.size() >= kP99Repetitions ? FormatDuration(Percentile(t, 99)) : "-";
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {:.1f} | {} | {} |\n",
                       MarkdownCode(b.name), t.size(), FormatDuration(Mean(t)),
                       FormatDuration(Median(t)), p99,
                       FormatDuration(*std::min_element(t.begin(), t.end())),
                       FormatDuration(*std::max_element(t.begin(), t.end())), CvPercent(t),
                       r.bytes_per_second ? FormatThroughput(*r.bytes_per_second) : "", peer);
  }
  if (short_of_p99) {
    out += fmt::format("\nP99 is shown from {} repetitions; with fewer it would be the maximum.\n",
                       kP99Repetitions);
  }
  return out + "\n";
}

// Counters other than the throughput the tables already show.
std::string CountersSection(const RunRecord& run, const std::string& suite) {
  std::set<std::string> names;
  for (const auto& b : run.benchmarks) {
    if (SuiteOf(b) != suite) continue;
    for (const auto& s : b.samples) {
      for (const auto& [k, v] : s.counters) {
        if (k != "bytes_per_second" && k != "items_per_second") names.insert(k);
      }
    }
  }
  if (names.empty()) return "";
  std::string out = "Counters (median per repetition):\n\n| Benchmark |";
  for (const auto& n : names) out += " " + n + " |";
  out += "\n|---|";
  for (size_t i = 0; i < names.size(); ++i) out += "---:|";
  out += "\n";
  for (const auto& b : run.benchmarks) {
    if (SuiteOf(b) != suite || b.samples.empty()) continue;
    out += "| `" + b.name + "` |";
    for (const auto& n : names) {
      std::vector<double> v;
      for (const auto& s : b.samples) {
        if (auto it = s.counters.find(n); it != s.counters.end()) v.push_back(it->second);
      }
      out += v.empty() ? " |" : fmt::format(" {:.4g} |", Median(v));
    }
    out += "\n";
  }
  return out + "\n";
}

// Suite medians for the sweep and peer plots.
std::string MediansCsv(const RunRecord& run, const std::string& suite) {
  std::string out = "benchmark,group,impl,role,size,median_ns,median_bytes_per_second\n";
  const auto rows = BuildResultRows(run);
  for (size_t i = 0; i < run.benchmarks.size(); ++i) {
    const auto& b = run.benchmarks[i];
    auto parts = SplitName(b.name);
    if (SuiteOf(b) != suite || !parts || rows[i].repetitions == 0) continue;
    const std::string group = parts->group.substr(0, parts->group.rfind("/*"));
    const std::string size = b.name.substr(b.name.rfind('/') + 1);
    out +=
        fmt::format("{},{},{},{},{},{},{}\n", CsvField(b.name), CsvField(group),
                    CsvField(parts->impl), RoleName(b.role), size, rows[i].median_ns,
                    rows[i].bytes_per_second ? fmt::format("{}", *rows[i].bytes_per_second) : "");
  }
  return out;
}

bool IsSweep(const RunRecord& run, const std::string& suite) {
  std::set<std::string> sizes;
  bool throughput = false;
  for (const auto& b : run.benchmarks) {
    if (SuiteOf(b) != suite || !SplitName(b.name)) continue;
    const std::string size = b.name.substr(b.name.rfind('/') + 1);
    if (size.find_first_not_of("0123456789") != std::string::npos) return false;
    sizes.insert(size);
    for (const auto& s : b.samples) throughput |= s.counters.count("bytes_per_second") > 0;
  }
  return sizes.size() >= 2 && throughput;
}

std::string FileSafe(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

}  // namespace

std::vector<std::string> ReportSuites(const ReportInput& in) {
  std::vector<std::string> out;
  for (const auto& b : Latest(in).benchmarks) {
    const std::string s = SuiteOf(b);
    if (Selected(in, s) && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

ReportPlan PlanReport(const ReportInput& in) {
  ReportPlan plan;
  std::vector<const RunRecord*> runs;
  std::vector<std::string> labels;
  for (const auto& r : in.runs) {
    runs.push_back(&r.run);
    labels.push_back(r.label);
  }
  plan.files["data.csv"] = ToRepetitionCsv(runs, labels);
  if (in.comparison) {
    std::string csv = "benchmark,ratio,lower,upper,verdict,threshold\n";
    for (const auto& b : in.comparison->benchmarks) {
      csv += fmt::format("{},{},{},{},{},{}\n", CsvField(b.name), b.ratio,
                         std::isfinite(b.ratio_lower) ? fmt::format("{}", b.ratio_lower) : "",
                         std::isfinite(b.ratio_upper) ? fmt::format("{}", b.ratio_upper) : "",
                         VerdictName(b.verdict), b.effective_threshold);
    }
    plan.files["comparison.csv"] = csv;
    plan.plots.push_back(
        {"forest.py",
         {"comparison.csv"},
         "forest.png",
         "summary",
         "Ratio of candidate to base per benchmark with its interval; the band is the threshold"});
  }
  for (const std::string& suite : ReportSuites(in)) {
    const std::string stem = "suite-" + FileSafe(suite);
    const RunRecord& run = Latest(in);
    if (IsSweep(run, suite)) {
      plan.files[stem + "-medians.csv"] = MediansCsv(run, suite);
      plan.plots.push_back(
          {"throughput.py",
           {stem + "-medians.csv", suite},
           stem + "-throughput.png",
           "suite:" + suite,
           suite + ": median throughput by buffer size, ours solid, peers dashed"});
      if (!BuildPeerRatios(run).empty()) {
        plan.plots.push_back({"peer_ratio.py",
                              {stem + "-medians.csv", suite},
                              stem + "-peer-ratio.png",
                              "suite:" + suite,
                              suite + ": our best engine against the best peer (>1: ours faster)"});
      }
    }
    plan.plots.push_back({"distributions.py",
                          {"data.csv", suite, in.runs.back().label},
                          stem + "-distributions.png",
                          "suite:" + suite,
                          suite + ": every repetition relative to its benchmark's median"});
  }
  PlanHistory(in, plan);
  PlanProfiles(in, plan);
  return plan;
}

std::string RenderMarkdown(const ReportInput& in, const std::vector<PlotJob>& made,
                           const std::string& plot_note) {
  std::string out =
      fmt::format("# {}\n\nGenerated {} by perfkit {}{}.\n\n", in.title, in.date,
                  in.perfkit_version, in.git_commit.empty() ? "" : " (" + in.git_commit + ")");
  if (!plot_note.empty()) out += "> " + plot_note + "\n\n";
  out += EnvironmentSection(in);
  out += ClaimChangesSection(in);
  if (in.comparison) out += SummarySection(in, made);
  for (const std::string& suite : ReportSuites(in)) {
    out += fmt::format("## Suite {}\n\n", MarkdownText(suite));
    if (in.comparison) out += ComparisonTable(in, suite) + "Candidate in detail:\n\n";
    out += StatsTable(Latest(in), suite);
    out += BaselineList(Latest(in), suite);
    out += ClaimsTable(in, suite);
    out += CountersSection(Latest(in), suite);
    out += PlotLinks(made, "suite:" + suite);
  }
  if (!in.history.empty()) out += HistoryMarkdown(in, PlotLinks(made, "history"));
  out += ProfilesSection(in);
  out += "## Data\n\nEvery repetition behind these tables: [data.csv](data.csv).\n";
  return out;
}

}  // namespace perfkit::report
