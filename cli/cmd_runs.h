// `perfkit runs [--limit N] [--host H] [--json]`: the stored runs, newest
// first.
#pragma once

#include <string>
#include <vector>

namespace perfkit::cli {

struct RunsOptions {
  int limit = 20;
  bool json = false;
  std::string db;
  std::string host;  // a fingerprint (or 4+ of its leading digits) or a hostname
};

// `perfkit hosts [--json]`: the machines that stored runs.
struct HostsOptions {
  bool json = false;
  std::string db;
};

int RunHosts(const HostsOptions& options);

int RunRuns(const RunsOptions& options);

}  // namespace perfkit::cli
