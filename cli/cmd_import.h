// `perfkit import FILE`: store a Google Benchmark JSON file as a run.
#pragma once

#include <string>
#include <vector>

namespace perfkit::cli {

struct ImportOptions {
  std::string file;
  std::vector<std::string> tags;
  std::string db;
};

int RunImport(const ImportOptions& options);

}  // namespace perfkit::cli
