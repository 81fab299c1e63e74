// `perfkit compare BASE CANDIDATE`: the CI gate. Exit 0 no regression, 1
// regression, 3 error or incomparable environments, 4 too little data.
#pragma once

#include <string>

#include "app/gate.h"

namespace perfkit::cli {

struct CompareOptions {
  std::string base;
  std::string candidate;
  app::GateFlags gate;
  std::string format = "table";  // table, markdown, json
  std::string db;
  bool same_host = false;  // BASE: the baseline's newest save on CANDIDATE's host
};

int RunCompare(const CompareOptions& options);

}  // namespace perfkit::cli
