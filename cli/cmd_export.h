// `perfkit export`: a stored run as Google Benchmark JSON.
#pragma once

#include <string>

namespace perfkit::cli {

struct ExportOptions {
  std::string run = "latest";
  std::string output;  // empty or "-": stdout
  std::string format = "gbench";
  std::string db;
};

int RunExport(const ExportOptions& options);

}  // namespace perfkit::cli
