// `perfkit completion bash|zsh|fish`: a completion script for the shell.
// Hidden helpers: `perfkit __complete suites|runs|baselines|hosts`, the values the
// scripts offer at completion time, and `perfkit __man README.md`, the man
// page the build installs.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <sstream>

#include "app/database.h"
#include "app/runs.h"
#include "build_info.h"
#include "cli/cli_model.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/completions.h"
#include "cli/man_page.h"

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
  auto words = app::CompletionWords(o.kind, app::ResolveStore(o.db));
  if (!words.ok()) return kExitFailure;
  for (const std::string& w : *words) fmt::print("{}\n", w);
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
