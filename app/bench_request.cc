#include "app/bench_request.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "app/database.h"
#include "baselines/location.h"
#include "suites/harness/counters.h"

namespace perfkit::app {
namespace {

Result<std::vector<std::string>> ParseCounters(const std::string& list) {
  if (list.empty()) return harness::DefaultCounters();
  std::vector<std::string> out;
  for (size_t from = 0;;) {
    const size_t comma = list.find(',', from);
    const std::string name = list.substr(from, comma - from);
    if (!name.empty()) out.push_back(name);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  if (out.empty()) return Status::InvalidArgument("--counters '" + list + "' names no counter");
  return out;
}

}  // namespace

Result<std::map<std::string, std::string>> ParseTags(const std::vector<std::string>& tags) {
  std::map<std::string, std::string> out;
  for (const std::string& t : tags) {
    const size_t eq = t.find('=');
    if (eq == 0 || eq == std::string::npos) {
      return Status::InvalidArgument("--tag '" + t + "' is not KEY=VALUE");
    }
    out[t.substr(0, eq)] = t.substr(eq + 1);
  }
  return out;
}

Result<BenchRequest> MakeBenchRequest(const BenchFlags& flags) {
  BenchRequest r;
  auto suites = suites::ResolveSuites(flags.suites);
  if (!suites.ok()) return suites.status();
  r.run.suites = std::move(*suites);
  r.run.filter = flags.filter;
  // A suite may fix its own default; a mix of suites keeps the usual one
  // unless every suite in it fixes one.
  bool all_fix = !r.run.suites.empty();
  int suite_default = 0;
  for (const suites::SuiteEntry* s : r.run.suites) {
    all_fix &= s->repetitions > 0;
    suite_default = std::max(suite_default, s->repetitions);
  }
  const int usual = harness::DefaultsFor(flags.quick).repetitions;
  r.run.repetitions = flags.repetitions.value_or(all_fix ? suite_default : usual);
  r.run.quick = flags.quick;
  r.run.energy = flags.energy;
  r.run.min_time_s = flags.min_time_s.value_or(harness::DefaultsFor(flags.quick).min_time_s);
  if (r.run.repetitions < 1 || r.run.repetitions > 1000) {
    return Status::InvalidArgument("--repetitions must be from 1 to 1000");
  }
  if (!std::isfinite(r.run.min_time_s) || r.run.min_time_s < 0.0001 || r.run.min_time_s > 60) {
    return Status::InvalidArgument("--min-time must be a number of seconds from 0.0001 to 60");
  }
  r.run.interleave = !flags.no_interleave;
  r.run.progress = flags.progress;
  if (flags.counters) {
    auto counters = ParseCounters(*flags.counters);
    if (!counters.ok()) return counters.status();
    r.run.counters = std::move(*counters);
  }
  auto tags = ParseTags(flags.tags);
  if (!tags.ok()) return tags.status();
  r.tags = std::move(*tags);
  r.db = ResolveStore(flags.db);
  r.json_out = flags.json_out;
  return r;
}

std::vector<std::string> BenchRequest::ToArgv() const {
  std::vector<std::string> argv = {"bench"};
  for (const suites::SuiteEntry* s : run.suites) argv.insert(argv.end(), {"--suite", s->name});
  if (!run.filter.empty()) argv.insert(argv.end(), {"--filter", run.filter});
  argv.insert(argv.end(), {"--repetitions", std::to_string(run.repetitions), "--min-time",
                           fmt::format("{}", run.min_time_s)});
  if (run.quick) argv.push_back("--quick");
  if (run.energy) argv.push_back("--energy");
  if (!run.interleave) argv.push_back("--no-interleave");
  if (!run.counters.empty()) {
    std::string list;
    for (const auto& c : run.counters) list += (list.empty() ? "" : ",") + c;
    argv.push_back("--counters=" + list);
  }
  for (const auto& [key, value] : tags) argv.insert(argv.end(), {"--tag", key + "=" + value});
  if (!db.postgres()) argv.insert(argv.end(), {"--db", db.full()});
  if (!json_out.empty()) argv.insert(argv.end(), {"--json", json_out});
  return argv;
}

std::map<std::string, std::optional<std::string>> BenchRequest::ChildEnv() const {
  if (!db.postgres()) return {};
  return {{"PERFKIT_DB", db.full()}};
}

}  // namespace perfkit::app
