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
