// Shell completion scripts for bash, zsh and fish, generated from the
// command line's own definitions (cli_model.h). Run references, baseline
// names and suites come from `perfkit __complete KIND` at completion time.
#pragma once

#include <string>
#include <vector>

#include "cli/cli_model.h"

namespace perfkit::cli {

std::string BashCompletion(const std::vector<CliCommand>& cli);
std::string ZshCompletion(const std::vector<CliCommand>& cli);
std::string FishCompletion(const std::vector<CliCommand>& cli);

}  // namespace perfkit::cli
