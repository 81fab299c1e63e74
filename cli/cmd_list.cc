// `perfkit list [--suite S]`: suites and their benchmark names.
#include "cli/cmd_list.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "suites/profiler/event.h"
#include "suites/suite.h"

namespace perfkit::cli {

namespace {

int ListEvents(bool available_only) {
  const std::vector<profiler::EventInfo> events = profiler::ListEvents();
  size_t opens = 0;
  for (const profiler::EventInfo& e : events) {
    opens += e.opens;
    if (available_only && !e.opens) continue;
    std::string desc = e.description.substr(0, 70);
    fmt::print("{:<48} {:<9} {}\n", e.name, e.opens ? "opens" : "no", desc);
  }
  fmt::print(
      stderr, "perfkit: {} events known to libpfm4 here, {} open{}\n", events.size(), opens,
      opens < events.size() ? " (no hardware PMU, or perf_event_paranoid, for the rest)" : "");
  return kExitSuccess;
}

}  // namespace

int RunList(const ListOptions& options) {
  if (options.what == "events") return ListEvents(options.available);
  if (!options.what.empty())
    return Fail(kExitUsage,
                "list: unknown kind '" + options.what + "' (events, or nothing for suites)");
  std::vector<const suites::SuiteEntry*> entries;
  if (options.suites.empty()) {
    for (const auto& s : suites::AllSuites()) entries.push_back(&s);
  } else {
    auto resolved = suites::ResolveSuites(options.suites);
    if (!resolved.ok()) return Fail(resolved.status());
    entries = std::move(*resolved);
  }
  for (const suites::SuiteEntry* entry : entries) {
    const suites::SuiteSpec spec = entry->make();
    fmt::print("{}: {} ({} benchmarks{})\n", spec.name, spec.description, spec.benchmarks.size(),
               entry->in_default_run ? "" : "; runs only with --suite " + spec.name);
    for (const auto& b : spec.benchmarks) {
      fmt::print("  {}{}\n", b.name, b.role == Role::kPeer ? "  [peer]" : "");
    }
    for (const auto& c : spec.chosen) fmt::print("  used here: {}\n", c);
    for (const auto& s : spec.skipped) fmt::print("  skipped on this machine: {}\n", s);
  }
  return kExitSuccess;
}

Runner AddList(CLI::App& app) {
  auto opts = std::make_shared<ListOptions>();
  CLI::App* cmd =
      app.add_subcommand("list", "List suites and their benchmarks, or performance events");
  cmd->add_option("what", opts->what, "events: the events profile -e takes");
  cmd->add_flag("--available", opts->available, "events: only those that open on this machine");
  cmd->add_option("--suite", opts->suites, "Only this suite (repeatable)")->allow_extra_args(false);
  return [opts] { return RunList(*opts); };
}

}  // namespace perfkit::cli
