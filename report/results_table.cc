#include "report/results_table.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "report/stats.h"
#include "report/units.h"

namespace perfkit::report {
namespace {

struct Best {
  const BenchmarkResult* ours = nullptr;
  const BenchmarkResult* peer = nullptr;
  const BenchmarkResult* baseline = nullptr;
  double ours_ns = 0;
  double peer_ns = 0;
  double baseline_ns = 0;
};

std::vector<double> RealTimes(const BenchmarkResult& b) {
  std::vector<double> v;
  for (const Sample& s : b.samples) v.push_back(s.real_time_ns);
  return v;
}

std::map<std::string, Best> BestPerGroup(const RunRecord& run) {
  std::map<std::string, Best> groups;
  for (const BenchmarkResult& b : run.benchmarks) {
    auto parts = SplitName(b.name);
    if (!parts || b.samples.empty() || b.role == Role::kUnknown) continue;
    const double t = Median(RealTimes(b));
    Best& g = groups[parts->group];
    if (b.role == Role::kOurs && (!g.ours || t < g.ours_ns)) {
      g.ours = &b;
      g.ours_ns = t;
    } else if (b.role == Role::kPeer && (!g.peer || t < g.peer_ns)) {
      g.peer = &b;
      g.peer_ns = t;
    } else if (b.role == Role::kBaseline && (!g.baseline || t < g.baseline_ns)) {
      g.baseline = &b;
      g.baseline_ns = t;
    }
  }
  return groups;
}

}  // namespace

std::optional<NameParts> SplitName(const std::string& name) {
  const size_t a = name.find('/');
  const size_t b = a == std::string::npos ? a : name.find('/', a + 1);
  if (b == std::string::npos) return std::nullopt;
  const size_t c = name.find('/', b + 1);
  if (c == std::string::npos) {  // "<suite>/<op>/<impl>": no size
    if (b + 1 == name.size()) return std::nullopt;
    return NameParts{name.substr(0, b) + "/*", name.substr(b + 1)};
  }
  if (name.find('/', c + 1) != std::string::npos) return std::nullopt;
  return NameParts{name.substr(0, b) + "/*" + name.substr(c), name.substr(b + 1, c - b - 1)};
}

std::vector<ResultRow> BuildResultRows(const RunRecord& run) {
  const auto groups = BestPerGroup(run);
  std::vector<ResultRow> rows;
  for (const BenchmarkResult& b : run.benchmarks) {
    ResultRow row;
    row.name = b.name;
    row.role = b.role;
    row.error = b.error;
    row.repetitions = b.samples.size();
    if (!b.samples.empty()) {
      const auto times = RealTimes(b);
      row.median_ns = Median(times);
      row.cv_percent = CvPercent(times);
      std::vector<double> bps;
      for (const Sample& s : b.samples) {
        if (auto it = s.counters.find("bytes_per_second"); it != s.counters.end())
          bps.push_back(it->second);
      }
      if (!bps.empty()) row.bytes_per_second = Median(bps);
    }
    if (auto parts = SplitName(b.name); parts && b.role == Role::kOurs && row.median_ns > 0) {
      auto it = groups.find(parts->group);
      if (it != groups.end() && it->second.peer) {
        row.vs_best_peer = it->second.peer_ns / row.median_ns;
        row.best_peer = SplitName(it->second.peer->name)->impl;
      }
      if (it != groups.end() && it->second.baseline) {
        row.vs_baseline = it->second.baseline_ns / row.median_ns;
        row.baseline = SplitName(it->second.baseline->name)->impl;
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<BaselineRatio> BuildBaselineRatios(const RunRecord& run) {
  std::vector<BaselineRatio> out;
  for (const auto& [group, best] : BestPerGroup(run)) {
    if (!best.ours || !best.baseline) continue;
    out.push_back({group, SplitName(best.ours->name)->impl, SplitName(best.baseline->name)->impl,
                   best.ours_ns, best.baseline_ns});
  }
  return out;
}

std::string AgainstBaseline(double ours_ns, double baseline_ns) {
  const double lower = (1 - ours_ns / baseline_ns) * 100;
  const double speedup = baseline_ns / ours_ns;
  return fmt::format("{} vs {}: {:.1f}% {}, {:.{}f}x {}", FormatDuration(ours_ns),
                     FormatDuration(baseline_ns), std::abs(lower), lower >= 0 ? "lower" : "higher",
                     speedup >= 1 ? speedup : 1 / speedup,
                     (speedup >= 10 || speedup <= 0.1) ? 1 : 2, speedup >= 1 ? "faster" : "slower");
}

std::vector<PeerRatio> BuildPeerRatios(const RunRecord& run) {
  std::vector<PeerRatio> out;
  for (const auto& [group, best] : BestPerGroup(run)) {
    if (!best.ours || !best.peer) continue;
    out.push_back({group, SplitName(best.ours->name)->impl, SplitName(best.peer->name)->impl,
                   best.peer_ns / best.ours_ns});
  }
  return out;
}

}  // namespace perfkit::report
