// A new run's identity and provenance: uuid, start time, the command line
// that made it, perfkit's version and the host it ran on.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "results/result.h"

namespace perfkit::app {

// argv as one string, kept with every stored run; set once by the CLI.
void SetInvocation(const std::vector<std::string>& args);
const std::string& Invocation();

std::string NowIso8601();
std::string NewUuid();

// source: "perfkit", "exec" or "import". The host is read from this machine.
RunRecord NewRunRecord(const std::map<std::string, std::string>& tags, const std::string& source);

}  // namespace perfkit::app
