// `perfkit import FILE`: store a Google Benchmark JSON file as a run.
#pragma once

#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "suites/result.h"

namespace perfkit::cli {

struct ImportOptions {
  std::string file;
  std::vector<std::string> tags;
  std::string db;
};

int RunImport(const ImportOptions& options);

// A Google Benchmark JSON file as a new, not yet stored run.
Result<RunRecord> LoadGbenchFile(const std::string& file);

}  // namespace perfkit::cli
