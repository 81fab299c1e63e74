#include "report/claims_section.h"

#include <fmt/format.h>

#include <map>
#include <vector>

#include "report/compare.h"
#include "report/markdown_escape.h"

namespace perfkit::report {
namespace {

// The figure with its unit, or what the line says after its topic.
std::string ValueCell(const ClaimResult* c) {
  if (c == nullptr) return "not in this run";
  if (c->status == ClaimStatus::kNotMeasurable) return "not measurable: " + MarkdownText(c->reason);
  if (c->has_value) return fmt::format("{:.3g} {}", c->value, MarkdownText(c->unit));
  const size_t colon = c->text.find(": ");
  return MarkdownText(colon == std::string::npos ? c->text : c->text.substr(colon + 2));
}

std::string StatusCell(const ClaimResult* c) {
  if (c == nullptr) return "";
  switch (c->status) {
    case ClaimStatus::kMet:
      return "met";
    case ClaimStatus::kNotMet:
      return "**not met**";
    default:
      return ClaimStatusName(c->status);
  }
}

std::map<std::string, const ClaimResult*> ById(const RunRecord& run, const std::string& suite) {
  std::map<std::string, const ClaimResult*> out;
  for (const ClaimResult& c : run.claims) {
    if (suite.empty() || c.suite == suite) out[c.id] = &c;
  }
  return out;
}

}  // namespace

std::string ClaimsTable(const ReportInput& in, const std::string& suite) {
  if (in.runs.empty()) return "";
  const RunRecord& latest = in.runs.back().run;
  if (in.runs.size() < 2) {
    std::string out;
    for (const ClaimResult& c : latest.claims) {
      if (c.suite != suite) continue;
      if (out.empty()) {
        out = "Claims, measured here:\n\n| Claim | Value | Target | Status |\n|---|---|---|---|\n";
      }
      out += fmt::format("| {} | {} | {} | {} |\n", MarkdownText(c.topic()), ValueCell(&c),
                         MarkdownText(c.target), StatusCell(&c));
    }
    return out.empty() ? "" : out + "\n";
  }
  const RunRecord& base = in.runs.front().run;
  const auto before = ById(base, suite);
  std::vector<const ClaimResult*> order;  // the candidate's order, then what only the base has
  for (const ClaimResult& c : latest.claims) {
    if (c.suite == suite) order.push_back(&c);
  }
  const auto after = ById(latest, suite);
  for (const ClaimResult& c : base.claims) {
    if (c.suite == suite && !after.count(c.id)) order.push_back(&c);
  }
  if (order.empty()) return "";
  std::string out = fmt::format(
      "Claims, base ({}) and candidate ({}):\n\n| Claim | Base | Candidate | Target | Status |\n"
      "|---|---|---|---|---|\n",
      MarkdownText(in.runs.front().label), MarkdownText(in.runs.back().label));
  for (const ClaimResult* c : order) {
    const auto b = before.find(c->id);
    const auto a = after.find(c->id);
    const ClaimResult* was = b == before.end() ? nullptr : b->second;
    const ClaimResult* now = a == after.end() ? nullptr : a->second;
    const std::string status = was && now && was->status != now->status
                                   ? StatusCell(was) + " → " + StatusCell(now)
                                   : StatusCell(now ? now : was);
    out += fmt::format("| {} | {} | {} | {} | {} |\n", MarkdownText(c->topic()), ValueCell(was),
                       ValueCell(now), MarkdownText(c->target), status);
  }
  return out + "\n";
}

std::string ClaimChangesSection(const ReportInput& in) {
  if (in.runs.size() < 2) return "";
  const auto changes = ClaimChanges(in.runs.front().run, in.runs.back().run);  // lost first
  if (changes.empty()) return "";
  std::string out = "## Claims that changed status\n\n";
  for (size_t i = 0; i < changes.size(); ++i) {
    const ClaimChange& ch = changes[i];
    if (i == 0 && ch.lost()) out += "**No longer met:**\n\n";
    if (i > 0 && changes[i - 1].lost() && !ch.lost()) out += "\nOther changes:\n\n";
    out += fmt::format("- {} ({}): {} → {}\n", MarkdownText(ch.topic), MarkdownText(ch.suite),
                       ClaimStatusName(ch.before), ClaimStatusName(ch.after));
  }
  return out + "\n";
}

}  // namespace perfkit::report
