// The static table of subcommands. Each cmd_<name>.cc adds its CLI11
// subcommand and returns the function that runs it with the parsed options.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace perfkit::cli {

using Runner = std::function<int()>;

struct CommandEntry {
  const char* name;
  Runner (*add)(CLI::App& app);
};

const std::vector<CommandEntry>& Commands();

// The root of the command line, without subcommands / with all of them (what
// the completions and the man page are generated from).
std::unique_ptr<CLI::App> NewRoot();
std::unique_ptr<CLI::App> FullCli();

// The whole program, callable in-process by tests: bloaty's RunBloaty.
int PerfkitMain(const std::vector<std::string>& args);

}  // namespace perfkit::cli
