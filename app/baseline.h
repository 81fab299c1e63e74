// `perfkit baseline save|list|show|delete|export|import`: names for runs to
// compare against. A name's history is kept; its newest save is what it means.
#pragma once

#include <string>
#include <vector>

#include "baselines/store.h"
#include "subsystems/base/status.h"

namespace perfkit::app {

struct BaselineRequest {
  store::StoreLocation db;
  std::string name;
  std::string run = "latest";  // save: the run to name
  std::string file;            // import: Google Benchmark JSON
};

struct BaselineSaved {
  RunRecord run;  // without benchmarks
  size_t saves = 0;
};
Result<BaselineSaved> SaveBaseline(const BaselineRequest& request);
Result<std::vector<store::BaselineListing>> ListBaselines(const BaselineRequest& request);
Result<std::vector<store::BaselineSave>> ShowBaseline(const BaselineRequest& request);
Status DeleteBaseline(const BaselineRequest& request);
// The newest save's run as Google Benchmark JSON.
Result<std::string> ExportBaseline(const BaselineRequest& request);
// The file stored as a run (tagged baseline=NAME) and saved under the name.
Result<RunRecord> ImportBaseline(const BaselineRequest& request);

}  // namespace perfkit::app
