#include "subsystems/power/reference_meter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

namespace perfkit::power {
namespace {

bool ParseNumber(const std::string& text, double* out) {
  size_t from = text.find_first_not_of(" \t");
  size_t to = text.find_last_not_of(" \t\r");
  if (from == std::string::npos) return false;
  const std::string s = text.substr(from, to - from + 1);
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(*out);
}

}  // namespace

Result<ReferenceMeter> ReferenceMeter::Load(const std::string& path, double max_gap_s) {
  std::ifstream in(path);
  if (!in) return Status::Error("cannot read the reference meter log " + path);
  ReferenceMeter m;
  m.path_ = path;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const size_t comma = line.find(',');
    double t = 0, w = 0;
    const bool ok = comma != std::string::npos && ParseNumber(line.substr(0, comma), &t) &&
                    ParseNumber(line.substr(comma + 1), &w);
    if (!ok) {
      if (n == 1 && m.t_.empty()) continue;  // a header
      return Status::Error(
          fmt::format("{}:{}: not 'timestamp,watts' ('{}')", path, n, line.substr(0, 60)));
    }
    if (w < 0) return Status::Error(fmt::format("{}:{}: negative watts", path, n));
    if (!m.t_.empty() && t <= m.t_.back()) {
      return Status::Error(fmt::format("{}:{}: timestamp {} is not after the previous one ({})",
                                       path, n, t, m.t_.back()));
    }
    if (!m.t_.empty() && t - m.t_.back() > max_gap_s) {
      return Status::Error(fmt::format("{}:{}: a gap of {:.1f} s in the readings (at most {} s)",
                                       path, n, t - m.t_.back(), max_gap_s));
    }
    m.t_.push_back(t);
    m.w_.push_back(w);
  }
  if (m.t_.size() < 2) return Status::Error(path + ": fewer than two readings");
  return m;
}

Result<double> ReferenceMeter::Joules(double from, double to) const {
  if (from < t_.front() || to > t_.back()) {
    return Status::Error(
        fmt::format("{} covers {:.1f} to {:.1f}, not the interval {:.1f} to {:.1f}", path_,
                    t_.front(), t_.back(), from, to));
  }
  auto at = [&](double t) {
    const size_t i = static_cast<size_t>(std::upper_bound(t_.begin(), t_.end(), t) - t_.begin());
    if (i == 0) return w_.front();
    if (i >= t_.size()) return w_.back();
    const double f = (t - t_[i - 1]) / (t_[i] - t_[i - 1]);
    return w_[i - 1] + f * (w_[i] - w_[i - 1]);
  };
  double joules = 0, t = from, w = at(from);
  for (size_t i = 0; i < t_.size(); ++i) {
    if (t_[i] <= from) continue;
    if (t_[i] >= to) break;
    joules += (w + w_[i]) / 2 * (t_[i] - t);
    t = t_[i];
    w = w_[i];
  }
  joules += (w + at(to)) / 2 * (to - t);
  return joules;
}

}  // namespace perfkit::power
