// libFuzzer target: any bytes as a Google Benchmark JSON file. The importer
// must refuse or accept without crashing, and what it accepts must export
// and import again to the same benchmarks (perfkit's own export is a file
// its importer reads).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "report/gbench_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace perfkit;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto run = report::FromGbenchJson(text, "fuzz.json");
  if (!run.ok()) {
    if (run.error().find('\n') != std::string::npos) std::abort();  // errors are one line
    return 0;
  }
  auto again = report::FromGbenchJson(report::ToGbenchJson(*run), "export.json");
  if (!again.ok() || again->benchmarks.size() != run->benchmarks.size()) {
    std::fprintf(stderr, "gbench_json_fuzz: an accepted file does not round-trip: %s\n",
                 again.ok() ? "benchmark count differs" : again.error().c_str());
    std::abort();
  }
  return 0;
}
