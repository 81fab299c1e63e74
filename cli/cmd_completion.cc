// `perfkit completion bash|zsh|fish`: a completion script for the shell.
// Hidden helpers: `perfkit __complete suites|runs|baselines|hosts`, the values the
// scripts offer at completion time, and `perfkit __man README.md`, the man
// page the build installs.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/database.h"
#include "build_info.h"
#include "cli/cli_model.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/completions.h"
#include "cli/man_page.h"
#include "suites/suite.h"

namespace perfkit::cli {

namespace {

struct CompletionOptions {
  std::string shell;
  std::string kind;
  std::string db;
  std::string readme;
};

int PrintScript(const std::string& shell) {
  const std::vector<CliCommand> cli = DescribeCli(*FullCli());
  if (shell == "bash") fmt::print("{}", BashCompletion(cli));
  if (shell == "zsh") fmt::print("{}", ZshCompletion(cli));
  if (shell == "fish") fmt::print("{}", FishCompletion(cli));
  return kExitSuccess;
}

// Quiet on every failure: a shell is asking, mid-word, and an error line
// would land in the user's command line.
int PrintWords(const CompletionOptions& o) {
  if (o.kind == "suites") {
    for (const suites::SuiteEntry& s : suites::AllSuites()) fmt::print("{}\n", s.name);
    return kExitSuccess;
  }
  if (!app::DatabaseExists(o.db)) return kExitSuccess;
  // A shared store that does not answer must not hold up a Tab for libpq's
  // 10 s (a user's own PGCONNECT_TIMEOUT wins).
  setenv("PGCONNECT_TIMEOUT", "2", 0);
  auto store = app::OpenStore(o.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return kExitFailure;
  if (o.kind == "runs") {
    auto runs = (*store)->ListRuns(50);
    if (!runs.ok()) return kExitFailure;
    if (!runs->empty()) fmt::print("latest\n");
    for (const auto& r : *runs) fmt::print("{}\n", r.run.id);
  } else if (o.kind == "hosts") {
    auto hosts = (*store)->ListHosts();
    if (!hosts.ok()) return kExitFailure;
    for (const auto& h : *hosts) {
      fmt::print("{}\n", h.fingerprint);
      if (!h.name.empty()) fmt::print("{}\n", h.name);
    }
  } else if (o.kind == "baselines") {
    auto list = (*store)->ListBaselines();
    if (!list.ok()) return kExitFailure;
    for (const auto& b : *list) fmt::print("{}\n", b.name);
  }
  return kExitSuccess;
}

int PrintMan(const std::string& readme_path) {
  std::ifstream in(readme_path);
  if (!in) return Fail(kExitFailure, "cannot read " + readme_path);
  std::stringstream readme;
  readme << in.rdbuf();
  fmt::print("{}", ManPage(DescribeCli(*FullCli()), readme.str(), PERFKIT_VERSION));
  return kExitSuccess;
}

}  // namespace

Runner AddCompletion(CLI::App& app) {
  auto opts = std::make_shared<CompletionOptions>();
  CLI::App* cmd =
      app.add_subcommand("completion",
                         "Print a completion script for bash, zsh or fish (generated from this "
                         "command line; e.g. `source <(perfkit completion bash)`)");
  cmd->add_option("shell", opts->shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  return [opts] { return PrintScript(opts->shell); };
}

Runner AddCompleteWords(CLI::App& app) {
  auto opts = std::make_shared<CompletionOptions>();
  CLI::App* cmd = app.add_subcommand("__complete", "Values for completion scripts");
  cmd->group("");
  cmd->add_option("kind", opts->kind)
      ->required()
      ->check(CLI::IsMember({"suites", "runs", "baselines", "hosts"}));
  AddDbFlag(cmd, &opts->db);
  return [opts] { return PrintWords(*opts); };
}

Runner AddMan(CLI::App& app) {
  auto opts = std::make_shared<CompletionOptions>();
  CLI::App* cmd = app.add_subcommand("__man", "Print perfkit(1) in roff");
  cmd->group("");
  cmd->add_option("readme", opts->readme, "README.md of this checkout")->required();
  return [opts] { return PrintMan(opts->readme); };
}

}  // namespace perfkit::cli
