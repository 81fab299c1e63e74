// What the subcommands print, handed over by app/: a run's rows and
// peer ratios, the claims checked against it, the gate's comparison as text,
// markdown or JSON, the units numbers are shown in, and the gate's
// simulation. cli/ formats these; it reaches report/ only through here.
#pragma once

#include <string>
#include <vector>

#include "app/gate.h"
#include "report/results_table.h"
#include "report/stats_selftest.h"
#include "report/units.h"
#include "results/result.h"
#include "suites/measured.h"

namespace perfkit::app {

using report::FormatBytes;
using report::FormatDuration;
using report::FormatThroughput;

using report::PeerRatio;
using report::ResultRow;
std::vector<ResultRow> ResultRows(const RunRecord& run);
std::vector<PeerRatio> PeerRatios(const RunRecord& run);
using report::AgainstBaseline;
using report::BaselineRatio;
std::vector<BaselineRatio> BaselineRatios(const RunRecord& run);

// "text" (coloured when asked), "markdown" or "json".
std::string ComparisonText(const GateResult& result, const std::string& format, bool color);

using report::GateSimulation;
using report::GateSimulationResult;
GateSimulationResult SimulateGate(const GateSimulation& simulation);
using report::DesignRates;
using report::Noise;
using report::NoiseName;
using report::SequentialSimulation;
using report::SequentialSimulationResult;
SequentialSimulationResult SimulateSequential(const SequentialSimulation& simulation);

}  // namespace perfkit::app
