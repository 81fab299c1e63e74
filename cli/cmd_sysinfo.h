// `perfkit sysinfo [--json]`: the machine and build context runs are judged in.
#pragma once

namespace perfkit::cli {

struct SysinfoOptions {
  bool json = false;
};

int RunSysinfo(const SysinfoOptions& options);

}  // namespace perfkit::cli
