// glibc reads some settings only at start-up, from GLIBC_TUNABLES:
// - the static TLS it spares for dlopen, which some suites' peers need more
//   of (jemalloc keeps 2.6 KiB of initial-exec TLS; glibc spares 512 B);
// - which CPU features its string functions may use. Under
//   PERFKIT_DISABLE_CPU_FEATURES perfkit runs the fallbacks a smaller CPU
//   would, and glibc, the memops suite's peer, must pick its code for that
//   CPU too: otherwise the avx2 engine would be measured against glibc's
//   AVX-512 code, which no CPU without AVX-512 runs.
// A command about to run suites re-executes itself once with the variable
// extended; the new process puts it back as it was, for its children.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "suites/registry.h"

namespace perfkit::app {

// Called first thing by main(): allows re-execution with this argv, and in
// the re-executed process restores GLIBC_TUNABLES. Without it (perfkit run
// in-process by tests) nothing is re-executed: peers needing static TLS are
// skipped with their reason, and glibc keeps this CPU's code.
void EnableReexecution(char** argv);

// Re-executes now if these suites need glibc started differently; returns
// only when no re-execution was needed or possible.
void ReexecuteForGlibc(const std::vector<const suites::SuiteEntry*>& suites);

// glibc's names for what hiding `disabled` (PERFKIT_DISABLE_CPU_FEATURES's
// list) hides on a real CPU, each prefixed with '-': "-AVX512F,-AVX512VL,...".
// Empty when glibc has nothing to hide.
std::string GlibcHwcapsHiding(std::string_view disabled);

// GLIBC_TUNABLES extended by what is missing from `existing` (null when
// unset): the static TLS reserve when `static_tls_bytes` > 0, and the
// hwcaps hiding `disabled`. A tunable the variable already sets is left as
// the user set it. Empty when nothing needs adding.
std::string ExtendedTunables(const char* existing, size_t static_tls_bytes,
                             std::string_view disabled);

}  // namespace perfkit::app
