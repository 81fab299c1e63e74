#include "results/result.h"

namespace perfkit {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kOurs:
      return "ours";
    case Role::kPeer:
      return "peer";
    case Role::kBaseline:
      return "baseline";
    case Role::kUnknown:
      break;
  }
  return "";
}

Role ParseRole(const std::string& name) {
  if (name == "ours") return Role::kOurs;
  if (name == "peer") return Role::kPeer;
  if (name == "baseline") return Role::kBaseline;
  return Role::kUnknown;
}

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kComplete:
      return "complete";
    case RunStatus::kInterrupted:
      return "interrupted";
    case RunStatus::kAbandoned:
      return "abandoned";
    case RunStatus::kRunning:
      break;
  }
  return "running";
}

RunStatus ParseRunStatus(const std::string& name) {
  if (name == "complete") return RunStatus::kComplete;
  if (name == "interrupted") return RunStatus::kInterrupted;
  if (name == "abandoned") return RunStatus::kAbandoned;
  return RunStatus::kRunning;
}

std::string ClaimResult::topic() const {
  const size_t colon = text.find(": ");
  return colon == std::string::npos ? id : text.substr(0, colon);
}

const char* ClaimStatusName(ClaimStatus status) {
  switch (status) {
    case ClaimStatus::kMet:
      return "met";
    case ClaimStatus::kNotMet:
      return "not met";
    case ClaimStatus::kNotMeasurable:
      return "not measurable";
    case ClaimStatus::kMeasured:
      break;
  }
  return "measured";
}

ClaimStatus ParseClaimStatus(const std::string& name) {
  if (name == "met") return ClaimStatus::kMet;
  if (name == "not met") return ClaimStatus::kNotMet;
  if (name == "not measurable") return ClaimStatus::kNotMeasurable;
  return ClaimStatus::kMeasured;
}

}  // namespace perfkit
