// `perfkit sysinfo [--json] [--machine DIR]`: the machine and build context
// runs are judged in, or what perfkit concludes on a snapshot of another.
#pragma once

#include <string>

namespace perfkit::cli {

struct SysinfoOptions {
  bool json = false;
  std::string machine;  // a snapshot directory to replay; empty: this machine
  std::string db;       // where this host's tuning is read (perfkit tune)
};

int RunSysinfo(const SysinfoOptions& options);

}  // namespace perfkit::cli
