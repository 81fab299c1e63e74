// `perfkit list [--suite S]`: suites and their benchmark names.
#include "cli/cmd_list.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/exit_status.h"
#include "suites/suite.h"

namespace perfkit::cli {

int RunList(const ListOptions& options) {
  std::vector<const suites::SuiteEntry*> entries;
  for (const std::string& name : options.suites) {
    const suites::SuiteEntry* s = suites::FindSuite(name);
    if (s == nullptr) {
      return Fail(kExitUsage, "unknown suite '" + name + "' (suites: " + suites::SuiteNames() + ")");
    }
    entries.push_back(s);
  }
  if (entries.empty()) {
    for (const auto& s : suites::AllSuites()) entries.push_back(&s);
  }
  for (const suites::SuiteEntry* entry : entries) {
    const suites::SuiteSpec spec = entry->make();
    fmt::print("{}: {} ({} benchmarks{})\n", spec.name, spec.description, spec.benchmarks.size(),
               entry->in_default_run ? "" : "; runs only with --suite " + spec.name);
    for (const auto& b : spec.benchmarks) {
      fmt::print("  {}{}\n", b.name, b.role == Role::kPeer ? "  [peer]" : "");
    }
    for (const auto& s : spec.skipped) fmt::print("  skipped on this machine: {}\n", s);
  }
  return kExitSuccess;
}

Runner AddList(CLI::App& app) {
  auto opts = std::make_shared<ListOptions>();
  CLI::App* cmd = app.add_subcommand("list", "List suites and their benchmarks");
  cmd->add_option("--suite", opts->suites, "Only this suite (repeatable)")
      ->allow_extra_args(false);
  return [opts] { return RunList(*opts); };
}

}  // namespace perfkit::cli
