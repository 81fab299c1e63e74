// What this perfkit and this machine offer: `perfkit list` (the suites, their
// benchmarks, the engines chosen and skipped here, the events `profile -e`
// takes) and `perfkit sysinfo` (the machine and build runs are judged in).
#pragma once

#include <string>
#include <vector>

#include "app/tune.h"
#include "baselines/location.h"
#include "results/result.h"
#include "subsystems/base/status.h"
#include "subsystems/profiler/event.h"
#include "suites/engine_choice.h"

namespace perfkit::app {

struct SuiteListing {
  std::string name;
  std::string description;
  bool in_default_run = true;
  std::vector<std::string> benchmarks;
  std::vector<Role> roles;           // beside benchmarks
  std::vector<std::string> chosen;   // what dispatch picks here
  std::vector<std::string> skipped;  // engines this machine cannot run, with why
};
// Every suite, or those named (an unknown name is an invalid argument).
Result<std::vector<SuiteListing>> ListSuites(const std::vector<std::string>& names);

using profiler::EventInfo;
std::vector<EventInfo> ListEvents();

struct Sysinfo {
  HostContext host;
  std::vector<suites::EngineChoice> engines;
  bool replayed = false;  // from a snapshot: nothing was measured or probed
  Applied tuning;         // this machine's from the store (perfkit tune), when not replayed
};
// This machine; or, given a snapshot directory as ../shared/machines/ holds
// them, what perfkit concludes on that machine (its CPUID, caches and
// engine choices).
Result<Sysinfo> ReadSysinfo(const std::string& snapshot_dir, const store::StoreLocation& db);
std::string SysinfoJson(const Sysinfo& info);

}  // namespace perfkit::app
