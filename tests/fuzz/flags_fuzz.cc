// libFuzzer target: lines of text as --threshold and --tag values. Parsing
// never crashes, and a threshold it accepts is a finite fraction from 0 to
// 10 with a non-empty glob: nothing can switch the gate off.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "app/bench_request.h"
#include "app/gate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace perfkit;
  std::vector<std::string> lines;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  app::GateFlags flags;
  flags.thresholds = lines;
  if (auto gate = app::MakeGateRequest(flags); gate.ok()) {
    auto fine = [](double t) { return std::isfinite(t) && t >= 0 && t <= 10; };
    if (!fine(gate->compare.threshold)) std::abort();
    for (const auto& [glob, t] : gate->compare.threshold_overrides) {
      if (glob.empty() || !fine(t)) std::abort();
    }
  }
  if (auto tags = app::ParseTags(lines); tags.ok()) {
    for (const auto& [key, value] : *tags) {
      if (key.empty()) std::abort();
    }
  }
  return 0;
}
