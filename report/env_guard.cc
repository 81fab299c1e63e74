#include "report/env_guard.h"

namespace perfkit::report {
namespace {

bool Unknown(const std::string& v) { return v.empty() || v.rfind("unknown", 0) == 0; }

}  // namespace

EnvCheck CheckEnvironments(const HostContext& a, const HostContext& b) {
  // Frequency policy and SMT move every timing; ASLR moves code layout;
  // flags and build type change the code itself.
  const std::pair<const char*, std::pair<std::string, std::string>> fields[] = {
      {"cpu_model", {a.cpu_model, b.cpu_model}},
      {"kernel", {a.kernel, b.kernel}},
      {"governor", {a.governor, b.governor}},
      {"boost", {a.boost, b.boost}},
      {"smt",
       {Unknown(a.cpu_model) ? "" : (a.smt ? "on" : "off"),
        Unknown(b.cpu_model) ? "" : (b.smt ? "on" : "off")}},
      {"aslr", {a.aslr, b.aslr}},
      {"build_flags", {a.build_flags, b.build_flags}},
      {"build_type", {a.build_type, b.build_type}},
  };
  EnvCheck check;
  for (const auto& [field, values] : fields) {
    if (Unknown(values.first) || Unknown(values.second)) {
      check.unknown.push_back(field);
    } else if (values.first != values.second) {
      check.differences.push_back({field, values.first, values.second});
    }
  }
  return check;
}

std::string IncompleteRunNote(const RunRecord& run) {
  const std::string id = "run " + std::to_string(run.id);
  switch (run.status) {
    case RunStatus::kComplete:
      return "";
    case RunStatus::kInterrupted:
      return id + " was interrupted: its results are partial";
    case RunStatus::kAbandoned:
      return id + " was abandoned (its process died before it finished): its results are partial";
    case RunStatus::kRunning:
      break;
  }
  return id + " is still running: its results are partial";
}

}  // namespace perfkit::report
