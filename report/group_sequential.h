// Group-sequential testing over a few planned looks (Pocock 1977; Jennison
// and Turnbull, *Group Sequential Methods with Applications to Clinical
// Trials*, 2000): the same nominal level at every look, chosen so that the
// chance of crossing it at any look is alpha. The sequential gate looks at
// its benchmarks this way.
#pragma once

#include <vector>

namespace perfkit::report {

// The looks: after the first block, then each time the count doubles, and
// at the cap (5, 10, 20, 40, 80 for 5 and 80).
std::vector<int> PlannedLooks(int first, int cap);

// P(Z_k >= z at some look k), where Z_k is a standardized sum of
// independent normal increments at the given (increasing) information
// levels: Corr(Z_j, Z_k) = sqrt(I_j / I_k) (Armitage, McPherson and Rowe,
// 1969: the density of the paths not yet crossed, carried on a grid).
double CrossingProbability(const std::vector<double>& information, double z);

// Student's t distribution function and its inverse.
double StudentTCdf(double t, double dof);
double StudentTQuantile(double p, double dof);

// One design: the looks' information levels and what follows from them.
class GroupSequentialDesign {
 public:
  GroupSequentialDesign(std::vector<double> information, double alpha);

  // The one-sided nominal level of every look (Pocock's constant boundary;
  // Jennison and Turnbull 3.8 carry it to t statistics by its p-value).
  double nominal() const { return nominal_; }
  // The t a one-sided test at the nominal level needs with `dof` degrees of
  // freedom: a look's interval is the estimate +- this many standard errors.
  double Boundary(double dof) const { return StudentTQuantile(1 - nominal_, dof); }
  // The repeated p-value of the smallest nominal p-value seen at the looks
  // so far: the alpha at which the design would have crossed. Valid
  // whichever look the data stop at; conservative between the table's points.
  double RepeatedP(double smallest_nominal_p) const;

 private:
  double nominal_ = 0;
  std::vector<double> information_;
  std::vector<double> log_nominal_, log_overall_;  // the table behind RepeatedP
};

// Designs take a tenth of a second to work out and a gate meets the same few
// again and again (and a simulation thousands of times): kept per process.
const GroupSequentialDesign& SharedDesign(const std::vector<double>& information, double alpha);

}  // namespace perfkit::report
