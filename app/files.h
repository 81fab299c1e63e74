// Whole-file reads and writes for commands: a write goes to a temporary
// file of its own (mkstemp) that is renamed into place, so a failure never
// leaves half a file and no other file is touched; a device or FIFO
// (/dev/null, /dev/stdout) is written in place, and through a symbolic
// link the file it names is replaced, not the link.
#pragma once

#include <string>

#include "subsystems/base/status.h"

namespace perfkit::app {

Status WriteFileAtomically(const std::string& path, const std::string& content);
// Refuses a directory or anything else that is not a readable file, naming it.
Result<std::string> ReadFile(const std::string& path);

}  // namespace perfkit::app
