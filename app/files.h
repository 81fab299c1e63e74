// Whole-file reads and writes for commands: a write goes to a temporary
// file that is renamed into place, so a failure never leaves half a file.
#pragma once

#include <string>

#include "subsystems/base/status.h"

namespace perfkit::app {

Status WriteFileAtomically(const std::string& path, const std::string& content);
// Refuses a directory or anything else that is not a readable file, naming it.
Result<std::string> ReadFile(const std::string& path);

}  // namespace perfkit::app
