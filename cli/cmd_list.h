// `perfkit list [--suite S]`: suites and their benchmark names;
// `perfkit list events [--available]`: the events -e takes.
#pragma once

#include <string>
#include <vector>

namespace perfkit::cli {

struct ListOptions {
  std::string what;  // empty: suites; "events": performance events
  std::vector<std::string> suites;
  bool available = false;  // events: only those that open here
  std::string db;          // where this host's tuning is read (perfkit tune)
};

int RunList(const ListOptions& options);

}  // namespace perfkit::cli
