#include "app/inventory.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "results/result_json.h"
#include "subsystems/base/cpu_caches.h"
#include "subsystems/base/cpu_features.h"
#include "subsystems/base/machine.h"
#include "suites/harness/host_context.h"
#include "suites/suite.h"

namespace perfkit::app {

Result<std::vector<SuiteListing>> ListSuites(const std::vector<std::string>& names) {
  std::vector<const suites::SuiteEntry*> entries;
  if (names.empty()) {
    for (const auto& s : suites::AllSuites()) entries.push_back(&s);
  } else {
    auto resolved = suites::ResolveSuites(names);
    if (!resolved.ok()) return resolved.status();
    entries = std::move(*resolved);
  }
  std::vector<SuiteListing> out;
  for (const suites::SuiteEntry* entry : entries) {
    const suites::SuiteSpec spec = suites::MakeSuite(*entry);
    SuiteListing l{spec.name, spec.description, entry->in_default_run, {},
                   {},        spec.chosen,      spec.skipped};
    for (const auto& b : spec.benchmarks) {
      l.benchmarks.push_back(b.name);
      l.roles.push_back(b.role);
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<EventInfo> ListEvents() { return profiler::ListEvents(); }

Result<Sysinfo> ReadSysinfo(const std::string& snapshot_dir, const store::StoreLocation& db) {
  if (snapshot_dir.empty()) {
    // Applied first: the engine choices below report what dispatch follows.
    Applied tuning = ApplyStoredTuning(db);
    return Sysinfo{harness::ReadHostContext(), suites::EngineChoices(), false, std::move(tuning)};
  }
  char scratch[] = "/tmp/perfkit-machine-XXXXXX";
  if (mkdtemp(scratch) == nullptr) {
    return Status::Error(std::string("cannot make a scratch directory: ") + std::strerror(errno));
  }
  auto machine = ReplayMachine(snapshot_dir, scratch);
  Result<Sysinfo> out = Status::Error("");
  if (machine.ok()) {
    out = Sysinfo{harness::ReadHostContext(**machine),
                  suites::EngineChoices(ReadCpuFeatures(**machine), DetectCaches(**machine)),
                  true,
                  {}};
  } else {
    out = machine.status();
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);  // made above, holding only what replay wrote
  return out;
}

std::string SysinfoJson(const Sysinfo& info) { return HostContextToJson(info.host).dump(2); }

}  // namespace perfkit::app
