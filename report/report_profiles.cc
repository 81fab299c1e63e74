#include "report/report_profiles.h"

#include <fmt/format.h>

#include <cctype>

#include "report/flamegraph.h"
#include "report/markdown_escape.h"
#include "report/profile_format.h"

namespace perfkit::report {
namespace {

constexpr size_t kTopFunctions = 10;

std::string FileFor(const std::string& label) { return "profile-" + label + ".svg"; }

bool HasDiff(const ReportInput& in) {
  return in.profiles.count("base") != 0 && in.profiles.count("candidate") != 0;
}

std::string Subtitle(const StoredProfile& p) {
  return fmt::format("{} samples of {}, {} call graph", p.samples, p.event, p.call_graph);
}

std::string Heading(const std::string& label, const StoredProfile& p) {
  if (label == "run") return fmt::format("Run {}", p.run_id);
  return fmt::format("{}{}: run {}", static_cast<char>(std::toupper(label[0])), label.substr(1),
                     p.run_id);
}

std::string TopFunctions(const StoredProfile& p) {
  std::string out = "| Self | Total | Function |\n|---:|---:|---|\n";
  for (const Hotspot& h : Hotspots(p.stacks, {kTopFunctions})) {
    out += fmt::format("| {:.1f}% | {:.1f}% | {} |\n", h.self_pct, h.total_pct,
                       MarkdownCode(h.function));
  }
  return out + "\n";
}

}  // namespace

void PlanProfiles(const ReportInput& in, ReportPlan& plan) {
  for (const auto& [label, profile] : in.profiles) {
    FlameGraphOptions svg;
    svg.title = "perfkit profile: " + Heading(label, profile);
    svg.subtitle = Subtitle(profile);
    plan.files[FileFor(label)] = FlameGraphSvg(profile.stacks, svg);
  }
  if (HasDiff(in)) {
    FlameGraphOptions svg;
    svg.title = "perfkit profile diff: candidate against base";
    svg.subtitle = "widths from the candidate; red spends more, blue less; dashed: gone";
    plan.files["profile-diff.svg"] =
        DiffFlameGraphSvg(in.profiles.at("base").stacks, in.profiles.at("candidate").stacks, svg);
  }
}

std::string ProfilesSection(const ReportInput& in) {
  if (in.profiles.empty()) return "";
  std::string out = "## Profiles\n\n";
  for (const auto& [label, profile] : in.profiles) {
    out += fmt::format(
        "### {}\n\n{} (call stacks sampled by `perfkit profile --suite`). Interactive flame "
        "graph: [{}]({}); the functions with the most samples of their own:\n\n",
        Heading(label, profile), Subtitle(profile), FileFor(label), FileFor(label));
    out += TopFunctions(profile);
  }
  if (HasDiff(in)) {
    out +=
        "### Differential\n\nWhere the candidate spends its time differently from the base "
        "(shares of each profile's samples): [profile-diff.svg](profile-diff.svg).\n\n"
        "| Base | Candidate | Change | Function |\n|---:|---:|---:|---|\n";
    for (const ShareChange& c : ShareChanges(in.profiles.at("base").stacks,
                                             in.profiles.at("candidate").stacks, kTopFunctions)) {
      out += fmt::format("| {:.1f}% | {:.1f}% | {:+.1f} | {} |\n", c.before_pct, c.after_pct,
                         c.after_pct - c.before_pct, MarkdownCode(c.function));
    }
    out += "\n";
  }
  return out;
}

}  // namespace perfkit::report
