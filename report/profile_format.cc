#include "report/profile_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

namespace perfkit::report {

std::string FoldedStacks(const std::vector<ProfileStack>& stacks) {
  std::string out;
  for (const ProfileStack& s : stacks) {
    std::string line;
    for (size_t i = 0; i < s.frames.size(); ++i) {
      const std::string& f = s.frames[i];
      if (i > 0) line += ';';
      // ';' separates frames and a trailing number is the count: keep both
      // out of names (C++ templates can hold neither, but be safe).
      for (char c : f) line += c == ';' ? ':' : c == '\n' ? ' ' : c;
    }
    // A line must start with a frame name for its count to be found.
    out += fmt::format("{} {}\n", line.empty() ? "[unknown]" : line, s.count);
  }
  return out;
}

Result<std::vector<ProfileStack>> ParseFolded(const std::string& text) {
  std::vector<ProfileStack> stacks;
  size_t start = 0, line_no = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.empty()) continue;
    const size_t space = line.rfind(' ');
    const std::string count = space == std::string::npos ? "" : line.substr(space + 1);
    if (space == 0 || space == std::string::npos || count.empty() ||
        count.find_first_not_of("0123456789") != std::string::npos) {
      return Status::Error("line " + std::to_string(line_no) + " is not 'frame;frame;... COUNT'");
    }
    ProfileStack s;
    for (char c : count) {
      if (s.count > (UINT64_MAX - static_cast<uint64_t>(c - '0')) / 10) {
        return Status::Error("line " + std::to_string(line_no) + ": count " + count +
                             " is out of range");
      }
      s.count = s.count * 10 + static_cast<uint64_t>(c - '0');
    }
    const std::string frames = line.substr(0, space);
    size_t f = 0;
    while (f <= frames.size()) {
      size_t semi = frames.find(';', f);
      if (semi == std::string::npos) semi = frames.size();
      s.frames.push_back(frames.substr(f, semi - f));
      f = semi + 1;
    }
    stacks.push_back(std::move(s));
  }
  return stacks;
}

std::vector<Hotspot> Hotspots(const std::vector<ProfileStack>& stacks,
                              const HotspotOptions& options) {
  const size_t top = options.top;
  uint64_t total = 0;
  std::map<std::string, uint64_t> self, inclusive;
  for (const ProfileStack& s : stacks) {
    total += s.count;
    const size_t roots = std::min(options.roots, s.frames.size());
    if (s.frames.size() > roots) self[s.frames.back()] += s.count;
    std::set<std::string> seen(s.frames.begin() + static_cast<std::ptrdiff_t>(roots),
                               s.frames.end());
    for (const std::string& f : seen) inclusive[f] += s.count;
  }
  const auto& rank = options.by_total ? inclusive : self;
  std::vector<std::pair<std::string, uint64_t>> order(rank.begin(), rank.end());
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<Hotspot> out;
  for (size_t i = 0; i < order.size() && i < top; ++i) {
    const std::string& name = order[i].first;
    const uint64_t own = self.count(name) ? self.at(name) : 0;
    out.push_back({name, 100.0 * own / total, 100.0 * inclusive[name] / total});
  }
  return out;
}

std::string HotspotTable(const std::vector<ProfileStack>& stacks, const HotspotOptions& options) {
  std::string out = fmt::format("{:>7} {:>7}  {}\n", "self%", "total%", options.what);
  for (const Hotspot& h : Hotspots(stacks, options)) {
    out += fmt::format("{:>6.1f}% {:>6.1f}%  {}\n", h.self_pct, h.total_pct, h.function);
  }
  return out;
}

namespace {

// Each leaf function's share of all samples, in percent.
std::map<std::string, double> SelfShares(const std::vector<ProfileStack>& stacks) {
  uint64_t total = 0;
  std::map<std::string, double> self;
  for (const ProfileStack& s : stacks) {
    total += s.count;
    if (s.frames.size() > 1) self[s.frames.back()] += s.count;
  }
  for (auto& [name, share] : self) share = 100.0 * share / std::max<uint64_t>(total, 1);
  return self;
}

}  // namespace

std::vector<ShareChange> ShareChanges(const std::vector<ProfileStack>& before,
                                      const std::vector<ProfileStack>& after, size_t top) {
  const auto a = SelfShares(before), b = SelfShares(after);
  std::vector<ShareChange> rows;
  for (const auto& [name, share] : a) rows.push_back({name, share, b.count(name) ? b.at(name) : 0});
  for (const auto& [name, share] : b) {
    if (!a.count(name)) rows.push_back({name, 0, share});
  }
  std::sort(rows.begin(), rows.end(), [](const ShareChange& x, const ShareChange& y) {
    const double dx = std::abs(x.after_pct - x.before_pct);
    const double dy = std::abs(y.after_pct - y.before_pct);
    return dx != dy ? dx > dy : x.function < y.function;
  });
  if (rows.size() > top) rows.resize(top);
  return rows;
}

std::string DiffTable(const std::vector<ProfileStack>& before,
                      const std::vector<ProfileStack>& after, size_t top) {
  std::string out =
      fmt::format("{:>7} {:>7} {:>8}  {}\n", "before", "after", "change", "function (self %)");
  for (const ShareChange& c : ShareChanges(before, after, top)) {
    out += fmt::format("{:>6.1f}% {:>6.1f}% {:>+7.1f}   {}{}\n", c.before_pct, c.after_pct,
                       c.after_pct - c.before_pct, c.function,
                       c.after_pct == 0    ? " (gone)"
                       : c.before_pct == 0 ? " (new)"
                                           : "");
  }
  return out;
}

std::string SpeedscopeJson(const std::vector<ProfileStack>& stacks, const std::string& name) {
  nlohmann::json frames = nlohmann::json::array();
  std::map<std::string, size_t> index;
  nlohmann::json samples = nlohmann::json::array();
  nlohmann::json weights = nlohmann::json::array();
  uint64_t total = 0;
  for (const ProfileStack& s : stacks) {
    nlohmann::json stack = nlohmann::json::array();
    for (const std::string& f : s.frames) {
      auto [it, added] = index.emplace(f, index.size());
      if (added) frames.push_back({{"name", f}});
      stack.push_back(it->second);
    }
    samples.push_back(std::move(stack));
    weights.push_back(s.count);
    total += s.count;
  }
  const nlohmann::json doc = {
      {"$schema", "https://www.speedscope.app/file-format-schema.json"},
      {"shared", {{"frames", frames}}},
      {"profiles",
       {{{"type", "sampled"},
         {"name", name},
         {"unit", "none"},
         {"startValue", 0},
         {"endValue", total},
         {"samples", samples},
         {"weights", weights}}}},
      {"name", name},
      {"activeProfileIndex", 0},
      {"exporter", "perfkit"},
  };
  return doc.dump(2) + "\n";
}

}  // namespace perfkit::report
