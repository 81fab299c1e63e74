// `perfkit profile diff A B`: how the profile B differs from A, as a table of
// the functions whose share changed most and a differential flame graph.
// A and B are folded-stack files or runs with a stored profile.
#pragma once

#include <cstddef>
#include <string>

namespace perfkit::cli {

struct ProfileDiffOptions {
  std::string before;
  std::string after;
  std::string output;  // the SVG; empty: the table only
  std::string db;      // for run references
  std::string title;
  double min_width = 0.1;
  size_t top = 25;
};

int RunProfileDiff(const ProfileDiffOptions& options);

}  // namespace perfkit::cli
