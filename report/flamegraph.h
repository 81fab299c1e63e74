// A self-contained interactive SVG flame graph from folded stacks: width is
// share of samples, frames sorted by name at each level, colours derived
// from the name (the same function is the same colour in every graph).
// Click a frame to zoom to it, click the background or "Reset zoom" to go
// back, "Search" highlights a regular expression and reports the matched
// share; each frame's tooltip reads "name (N samples, P%)".
#pragma once

#include <string>
#include <vector>

#include "results/result.h"

namespace perfkit::report {

struct FlameGraphOptions {
  std::string title = "Flame graph";
  std::string subtitle;       // e.g. the event and sample count
  double min_width_px = 0.1;  // frames narrower than this are left out
  bool inverted = false;      // icicle: roots at the top
  int width = 1200;
};

std::string FlameGraphSvg(const std::vector<ProfileStack>& stacks,
                          const FlameGraphOptions& options);

// A differential flame graph: widths from `after`, each frame red where
// `after` spends a larger share of its samples there than `before` did,
// blue where smaller (shares, so profiles of different lengths compare).
// Paths `after` no longer has keep their earlier share, dark blue and dashed.
std::string DiffFlameGraphSvg(const std::vector<ProfileStack>& before,
                              const std::vector<ProfileStack>& after,
                              const FlameGraphOptions& options);

}  // namespace perfkit::report
