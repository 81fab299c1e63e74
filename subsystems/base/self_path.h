// Where the running executable is: perfkit starts itself again (bench's
// static-TLS re-exec, `profile --suite`) and finds the programs built beside it.
#pragma once

#include <string>

namespace perfkit {

// The resolved path of /proc/self/exe, or empty if it cannot be read.
std::string SelfExecutable();

// A program perfkit runs (perfkit-hello, perfkit-guest-io, profile_workload):
// beside the executable in a build tree, in PREFIX/libexec/perfkit once
// installed. The path beside the executable when neither exists, so an
// error can name it.
std::string HelperProgram(const std::string& name);

// PREFIX/share/perfkit/NAME of an installed perfkit, or "" from a build
// tree (where the caller knows its checkout).
std::string InstalledData(const std::string& name);

}  // namespace perfkit
