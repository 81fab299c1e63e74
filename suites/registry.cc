#include <algorithm>
#include <string>
#include <vector>

#include "suites/harness/interrupt.h"
#include "suites/suite.h"

namespace perfkit::suites {

SuiteSpec MakeCrc32Suite();
SuiteSpec MakeMemopsSuite();
SuiteSpec MakeSlabSuite();
SuiteSpec MakeJitSuite();
SuiteSpec MakeProfilerSuite();
SuiteSpec MakeRingsSuite();
SuiteSpec MakeIoSuite();
SuiteSpec MakePlatformSuite();
SuiteSpec MakeVirtioSuite();

const std::vector<SuiteEntry>& AllSuites() {
  static const std::vector<SuiteEntry> suites = {
      {"crc32", "CRC-32 and CRC-32C engines against zlib, libdeflate and ISA-L", &MakeCrc32Suite},
      // ~1040 benchmarks, ~16 minutes and 384 MiB of buffers at the defaults.
      {"memops", "memcpy/memmove/memcmp/memset engines against glibc", &MakeMemopsSuite, false},
      // ~180 benchmarks, ~3 minutes; starts a thread per cross-thread repetition.
      // jemalloc keeps 2.6 KiB of initial-exec TLS; glibc spares 512 B for
      // dlopen unless raised at start-up.
      {"slab", "slab allocator against glibc malloc, mimalloc, jemalloc and tcmalloc",
       &MakeSlabSuite, false, 16384},
      {"jit", "eBPF interpreter, JIT and tiered VM against native C++", &MakeJitSuite, false},
      {"profiler", "what sampling costs the profiled program, per rate and call-graph mode",
       &MakeProfilerSuite, false},
      {"rings", "lock-free rings and a zero-copy channel between processes", &MakeRingsSuite,
       false},
      // Writes a 256 MiB file (in $PERFKIT_IO_DIR or /var/tmp) before it reads.
      {"io", "reading a file by pread, a thread pool, Linux AIO and io_uring", &MakeIoSuite, false},
      // Maps up to 768 MiB (256 MiB per page size) and 128 MiB of arrays.
      {"platform", "the guides' low-level claims, each against its alternative", &MakePlatformSuite,
       false},
      // Boots a QEMU guest per configuration and repetition (TCG here: minutes).
      {"virtio", "a virtqueue in process, and vhost-user-blk in a QEMU guest against QEMU's",
       &MakeVirtioSuite, false, 0, 5},
  };
  return suites;
}

const SuiteEntry* FindSuite(const std::string& name) {
  for (const SuiteEntry& s : AllSuites()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

std::string SuiteNames() {
  std::string out;
  for (const SuiteEntry& s : AllSuites()) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

Result<std::vector<const SuiteEntry*>> ResolveSuites(const std::vector<std::string>& names) {
  std::vector<const SuiteEntry*> out;
  if (names.empty()) {
    for (const SuiteEntry& s : AllSuites()) {
      if (s.in_default_run) out.push_back(&s);
    }
    return out;
  }
  for (const std::string& name : names) {
    const SuiteEntry* s = FindSuite(name);
    if (s == nullptr) {
      return Status::InvalidArgument("unknown suite '" + name + "' (suites: " + SuiteNames() + ")");
    }
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

bool StopRequested() { return harness::InterruptRequested(); }

bool SkipIfStopped(benchmark::State& state) {
  if (!StopRequested()) return false;
  state.SkipWithError("interrupted");
  return true;
}

namespace {
bool g_quick = false;
}  // namespace

bool QuickMode() { return g_quick; }
void SetQuickMode(bool quick) { g_quick = quick; }

SuiteSpec MakeSuite(const SuiteEntry& entry) {
  SuiteSpec spec = entry.make();
  if (spec.baseline.empty()) return spec;
  for (BenchmarkSpec& b : spec.benchmarks) {
    // <suite>/<op>/<impl>/...: the impl is the third part.
    const size_t op = b.name.find('/', b.name.find('/') + 1);
    if (b.role != Role::kOurs || op == std::string::npos) continue;
    const size_t impl = b.name.find('/', op + 1);
    if (b.name.compare(op + 1, impl - op - 1, spec.baseline) == 0) b.role = Role::kBaseline;
  }
  return spec;
}

}  // namespace perfkit::suites
