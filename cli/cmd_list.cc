// `perfkit list [--suite S]`: suites and their benchmark names.
#include "cli/cmd_list.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/database.h"
#include "app/inventory.h"
#include "app/tune.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

namespace {

int ListEvents(bool available_only) {
  const std::vector<app::EventInfo> events = app::ListEvents();
  size_t opens = 0;
  for (const app::EventInfo& e : events) {
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
  const app::Applied tuning = app::ApplyStoredTuning(app::ResolveStore(options.db));
  if (!tuning.warning.empty()) fmt::print(stderr, "perfkit: {}\n", tuning.warning);
  auto listed = app::ListSuites(options.suites);
  if (!listed.ok()) return Fail(listed.status());
  for (const app::SuiteListing& spec : *listed) {
    fmt::print("{}: {} ({} benchmarks{})\n", spec.name, spec.description, spec.benchmarks.size(),
               spec.in_default_run ? "" : "; runs only with --suite " + spec.name);
    for (size_t i = 0; i < spec.benchmarks.size(); ++i) {
      const Role role = spec.roles[i];
      fmt::print("  {}{}\n", spec.benchmarks[i],
                 role == Role::kPeer       ? "  [peer]"
                 : role == Role::kBaseline ? "  [baseline]"
                                           : "");
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
  AddDbFlag(cmd, &opts->db)->description("Where this host's tuning is read (perfkit tune)");
  return [opts] { return RunList(*opts); };
}

}  // namespace perfkit::cli
