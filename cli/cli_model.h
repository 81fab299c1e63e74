// perfkit's command line as plain data, read from the CLI11 definitions, so
// that the shell completions and the man page are generated from the same
// declarations the parser uses and cannot drift from them.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace perfkit::cli {

// What a shell may offer for an option's value or a positional argument.
enum class Complete {
  kNothing,
  kFiles,
  kSuites,
  kRuns,
  kBaselines,
  kRunsAndBaselines,
  kHosts,
  kChoices
};

struct CliArgument {
  std::vector<std::string> names;  // "-o", "--output"; a positional: its name
  std::string value_name;          // "FILE", "N", ... ("" for a flag)
  std::string description;
  bool takes_value = false;
  bool repeats = false;
  bool required = false;
  Complete complete = Complete::kNothing;
  std::vector<std::string> choices;  // for kChoices
};

struct CliCommand {
  std::vector<std::string> path;  // {"baseline", "save"}; {} for perfkit itself
  std::string description;
  std::vector<CliArgument> options;
  std::vector<CliArgument> positionals;
  std::vector<std::string> subcommands;
  std::string PathString() const;  // "baseline save"
};

// Every visible command, depth first, perfkit itself first.
std::vector<CliCommand> DescribeCli(const CLI::App& root);

}  // namespace perfkit::cli
