// `perfkit baseline save|list|show|delete|export|import`: named runs to
// compare against. A name keeps the history of what was saved under it.
#pragma once

#include <string>

namespace perfkit::cli {

struct BaselineOptions {
  std::string action;  // save, list, show, delete, export, import
  std::string name;
  std::string run = "latest";  // save
  std::string file;            // import
  std::string output;          // export
  std::string db;
};

int RunBaseline(const BaselineOptions& options);

}  // namespace perfkit::cli
