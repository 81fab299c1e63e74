// `perfkit runs [--limit N] [--json]`: the stored runs, newest first.
#pragma once

#include <string>
#include <vector>

namespace perfkit::cli {

struct RunsOptions {
  int limit = 20;
  bool json = false;
  std::string db;
};

int RunRuns(const RunsOptions& options);

}  // namespace perfkit::cli
