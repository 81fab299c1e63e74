// Steps in a benchmark's history: where its median moved to a new level and
// stayed there. PELT (Killick, Fearnhead and Eckley 2012) finds the
// segmentation of the log medians that minimises the squared deviations
// from each segment's mean plus a penalty per step, 4 sigma^2 ln n (sigma
// read from the run-to-run differences, so a noisy history needs a bigger
// step); a step must hold for 3 runs, and steps smaller than `min_change`
// are not reported. In simulated noise that penalty finds a step where
// there is none in 3-5% of series of 10-50 runs (none of 200), and a step of
// three standard deviations in 80% of 10 runs and 95% of 20 or more.
#pragma once

#include <cstddef>
#include <vector>

namespace perfkit::report {

struct ChangePoint {
  size_t index = 0;   // the first value of the new level
  double before = 0;  // median of the values since the previous step
  double after = 0;   // median of the values up to the next step
  double change() const { return after / before - 1; }  // relative
};

// `values` in time order, all positive.
std::vector<ChangePoint> FindChangePoints(const std::vector<double>& values,
                                          double min_change = 0.02);

}  // namespace perfkit::report
