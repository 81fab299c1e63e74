// HostContext and claims <-> JSON, shared by the store (context columns) and
// the Google Benchmark JSON codec (the "perfkit" block of an export).
#pragma once

#include <nlohmann/json.hpp>

#include "results/result.h"
#include "subsystems/base/status.h"

namespace perfkit {

nlohmann::json HostContextToJson(const HostContext& host);
// Missing fields keep their defaults, so older files still load.
HostContext HostContextFromJson(const nlohmann::json& j);

nlohmann::json ClaimsToJson(const std::vector<ClaimResult>& claims);
// From a file perfkit may not have written: fails, naming the entry, on
// anything but an array of objects with a string "id" and fields of the
// types ClaimsToJson writes.
Result<std::vector<ClaimResult>> ClaimsFromJson(const nlohmann::json& j);

}  // namespace perfkit
