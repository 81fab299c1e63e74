#include "app/views.h"

#include <map>

#include "report/compare_format.h"
#include "report/stats.h"

namespace perfkit::app {

std::vector<ResultRow> ResultRows(const RunRecord& run) { return report::BuildResultRows(run); }

std::vector<PeerRatio> PeerRatios(const RunRecord& run) { return report::BuildPeerRatios(run); }

std::vector<BaselineRatio> BaselineRatios(const RunRecord& run) {
  return report::BuildBaselineRatios(run);
}

std::vector<std::string> ClaimLines(const RunRecord& run,
                                    const std::vector<suites::Claim>& claims) {
  suites::Measured measured;
  for (const BenchmarkResult& b : run.benchmarks) {
    std::vector<double> t;
    for (const Sample& s : b.samples) t.push_back(s.real_time_ns);
    if (!b.error.empty()) {
      measured.errors[b.name] = b.error;
    } else if (!t.empty()) {
      measured.medians[b.name] = report::Median(t);
      std::map<std::string, std::vector<double>> counters;
      for (const Sample& s : b.samples) {
        for (const auto& [name, value] : s.counters) counters[name].push_back(value);
      }
      for (const auto& [name, values] : counters) {
        measured.counters[b.name][name] = report::Median(values);
      }
      measured.times[b.name] = std::move(t);
    }
  }
  std::vector<std::string> lines;
  for (const suites::Claim& claim : claims) {
    std::string line = claim(measured);
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

std::string ComparisonText(const GateResult& result, const std::string& format, bool color) {
  const report::Comparison& c = result.comparison;
  if (format == "json") return report::FormatComparisonJson(c);
  if (format == "markdown") return report::FormatComparisonMarkdown(c);
  return report::FormatComparisonText(c, color);
}

GateSimulationResult SimulateGate(const GateSimulation& simulation) {
  return report::SimulateGate(simulation);
}

SequentialSimulationResult SimulateSequential(const SequentialSimulation& simulation) {
  return report::SimulateSequential(simulation);
}

}  // namespace perfkit::app
