// HostContext <-> JSON, shared by the store (context columns) and the Google
// Benchmark JSON codec (the "perfkit" block of an export).
#pragma once

#include <nlohmann/json.hpp>

#include "results/result.h"

namespace perfkit {

nlohmann::json HostContextToJson(const HostContext& host);
// Missing fields keep their defaults, so older files still load.
HostContext HostContextFromJson(const nlohmann::json& j);

}  // namespace perfkit
