// Descriptive statistics over repetitions.
#pragma once

#include <vector>

namespace perfkit::report {

double Median(std::vector<double> v);
double Mean(const std::vector<double>& v);
double StdDev(const std::vector<double>& v);  // sample (n-1)
// Coefficient of variation in percent; 0 for fewer than two values.
double CvPercent(const std::vector<double>& v);

}  // namespace perfkit::report
