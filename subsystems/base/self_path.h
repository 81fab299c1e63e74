// Where the running executable is: perfkit starts itself again (bench's
// static-TLS re-exec, `profile --suite`) and finds the programs built beside it.
#pragma once

#include <string>

namespace perfkit {

// The resolved path of /proc/self/exe, or empty if it cannot be read.
std::string SelfExecutable();

}  // namespace perfkit
