// perfkit(1) in roff, from the command line's own definitions (cli_model.h)
// and the README's sections on exit status, environment and the database, so
// the page says what `--help` and the README say.
#pragma once

#include <string>
#include <vector>

#include "cli/cli_model.h"

namespace perfkit::cli {

std::string ManPage(const std::vector<CliCommand>& cli, const std::string& readme_markdown,
                    const std::string& version);

}  // namespace perfkit::cli
