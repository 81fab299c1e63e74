// Some suites' peers need more static TLS than glibc spares for dlopen
// (jemalloc keeps 2.6 KiB of initial-exec TLS; glibc spares 512 B), and
// glibc reads that reserve only at start-up. A command that is about to
// run such a suite re-executes itself once with GLIBC_TUNABLES raised; the
// new process puts the variable back as it was, for its children.
#pragma once

#include <vector>

#include "suites/registry.h"

namespace perfkit::app {

// Called first thing by main(): allows re-execution with this argv, and in
// the re-executed process restores GLIBC_TUNABLES. Without it (perfkit run
// in-process by tests) nothing is re-executed and such peers are skipped
// with their reason.
void EnableReexecution(char** argv);

// Re-executes now if a suite needs static TLS this process lacks; returns
// only when no re-execution was needed or possible.
void ReserveStaticTls(const std::vector<const suites::SuiteEntry*>& suites);

}  // namespace perfkit::app
