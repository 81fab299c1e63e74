// Which parts of two runs' environments differ in ways that move timings:
// comparing across them would measure the machine, not the change.
#pragma once

#include <string>
#include <vector>

#include "results/result.h"

namespace perfkit::report {

struct EnvDifference {
  std::string field;
  std::string base;
  std::string candidate;
};

struct EnvCheck {
  std::vector<EnvDifference> differences;
  std::vector<std::string> unknown;  // fields one side did not record
};

EnvCheck CheckEnvironments(const HostContext& base, const HostContext& candidate);

// Why a run's results are partial ("run 4 was abandoned: its process died
// before it finished"), or empty for a complete run.
std::string IncompleteRunNote(const RunRecord& run);

}  // namespace perfkit::report
