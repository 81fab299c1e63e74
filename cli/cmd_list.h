// `perfkit list [--suite S]`: suites and their benchmark names.
#pragma once

#include <string>
#include <vector>

namespace perfkit::cli {

struct ListOptions {
  std::vector<std::string> suites;
};

int RunList(const ListOptions& options);

}  // namespace perfkit::cli
