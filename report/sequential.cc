#include "report/sequential.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/mann_whitney.h"
#include "report/stats.h"

namespace perfkit::report {
namespace {

// The statistics of the log change: its estimate, standard error and
// degrees of freedom.
struct TStats {
  double estimate = 0, se = 0, df = 0;
};

bool Usable(double v) { return v > 0 && std::isfinite(v); }

// "5, 10, 20, 40 and 60"
std::string ListLooks(const std::vector<int>& looks) {
  std::string out;
  for (size_t i = 0; i < looks.size(); ++i) {
    if (i > 0) out += i + 1 == looks.size() ? " and " : ", ";
    out += std::to_string(looks[i]);
  }
  return out;
}

}  // namespace

void SequentialGate::Moments::Add(double x) {
  ++n;
  const double delta = x - mean;
  mean += delta / static_cast<double>(n);
  m2 += delta * (x - mean);
}

SequentialGate::SequentialGate(SequentialOptions options)
    : options_(std::move(options)),
      higher_is_better_(HigherIsBetter(options_.compare.metric)),
      planned_(PlannedLooks(options_.first_look, options_.last_look)) {}

SequentialGate::Bench& SequentialGate::Get(const std::string& name) {
  auto [it, added] = index_.emplace(name, benchmarks_.size());
  if (added) {
    Bench b;
    b.name = name;
    const GateThreshold t = GateThresholdFor(options_.compare, name);
    b.threshold = t.requested;
    b.effective_threshold = t.effective;
    b.noise = t.noise;
    b.note = t.note;
    benchmarks_.push_back(std::move(b));
  }
  return benchmarks_[it->second];
}

void SequentialGate::SetBase(const std::string& name, const std::vector<double>& values) {
  Bench& b = Get(name);
  b.base.clear();
  b.base_log = {};
  for (double v : values) {
    if (!Usable(v)) continue;
    b.base.push_back(v);
    b.base_log.Add(std::log(v));
  }
}

void SequentialGate::AddCandidate(const std::string& name, double value) {
  Bench& b = Get(name);
  if (b.decided || !Usable(value)) return;
  b.candidate.push_back(value);
  b.candidate_log.Add(std::log(value));
}

void SequentialGate::AddPair(const std::string& name, double old_value, double new_value) {
  Bench& b = Get(name);
  if (b.decided || !Usable(old_value) || !Usable(new_value)) return;
  b.base.push_back(old_value);
  b.candidate.push_back(new_value);
  b.diff_log.Add(std::log(new_value / old_value));
}

size_t SequentialGate::Repetitions(const Bench& b) const {
  return options_.paired ? b.diff_log.n : std::min(b.base_log.n, b.candidate_log.n);
}

double SequentialGate::Boundary(const GroupSequentialDesign& design, double df) {
  auto [it, added] = boundaries_.emplace(std::make_pair(design.nominal(), df), 0.0);
  if (added) it->second = design.Boundary(df);
  return it->second;
}

double SequentialGate::Information(const Bench& b, int n) const {
  if (options_.paired || b.base_log.n == 0) return n;
  return 1 / (1 / static_cast<double>(b.base_log.n) + 1 / static_cast<double>(n));
}

size_t SequentialGate::Taken(const Bench& b) const {
  return options_.paired ? b.diff_log.n : b.candidate_log.n;
}

void SequentialGate::Judge(Bench& b, bool last) {
  TStats s;
  if (options_.paired) {
    const Moments& d = b.diff_log;
    if (d.n < 2) return;
    s.estimate = d.mean;
    s.df = static_cast<double>(d.n - 1);
    s.se = std::sqrt(d.m2 / s.df / static_cast<double>(d.n));
  } else {
    const double nb = static_cast<double>(b.base_log.n);
    const double nc = static_cast<double>(b.candidate_log.n);
    if (nb < 1 || nc < 1 || nb + nc < 3) return;
    s.estimate = b.candidate_log.mean - b.base_log.mean;
    s.df = nb + nc - 2;
    s.se = std::sqrt((b.base_log.m2 + b.candidate_log.m2) / s.df * (1 / nb + 1 / nc));
  }
  const int n = static_cast<int>(Taken(b));
  b.looks.push_back(n);
  // The design of the looks it had and the planned ones still to come.
  std::vector<double> information;
  for (int look : b.looks) information.push_back(Information(b, look));
  if (!last) {
    for (int look : planned_) {
      if (look > n) information.push_back(Information(b, look));
    }
  }
  b.design = &SharedDesign(information, options_.compare.alpha);

  const double se = std::max(s.se, 1e-12);  // identical values: an exact change
  const double half = Boundary(*b.design, s.df) * se;
  b.estimate = s.estimate;
  b.lower = s.estimate - half;
  b.upper = s.estimate + half;
  const double limit = std::log1p(b.effective_threshold);
  const double slowdown = higher_is_better_ ? -s.estimate : s.estimate;
  b.nominal_worse = std::min(b.nominal_worse, 1 - StudentTCdf((slowdown - limit) / se, s.df));
  b.nominal_better = std::min(b.nominal_better, 1 - StudentTCdf((-limit - slowdown) / se, s.df));
  if (Repetitions(b) >= kMinRepetitions && b.lower > -limit && b.upper < limit) {
    b.decided = true;
    b.verdict = Verdict::kNoChange;
    b.decided_at = Taken(b);
  }
}

SequentialGate::PValues SequentialGate::RepeatedPValues() const {
  PValues p;
  for (const Bench& b : benchmarks_) {
    p.worse.push_back(b.design ? b.design->RepeatedP(b.nominal_worse) : 1);
    p.better.push_back(b.design ? b.design->RepeatedP(b.nominal_better) : 1);
  }
  return p;
}

void SequentialGate::Look() {
  for (Bench& b : benchmarks_) {
    if (b.decided) continue;
    const int n = static_cast<int>(Taken(b));
    const int since = b.looks.empty() ? 0 : b.looks.back();
    // Its next planned look: the first after the last it had.
    auto next = std::upper_bound(planned_.begin(), planned_.end(), since);
    if (next != planned_.end() && n >= *next) Judge(b, /*last=*/n >= planned_.back());
  }
  Reject();
}

void SequentialGate::LastLook() {
  for (Bench& b : benchmarks_) {
    if (b.decided) continue;
    const int n = static_cast<int>(Taken(b));
    if (n > (b.looks.empty() ? 0 : b.looks.back())) Judge(b, /*last=*/true);
  }
  Reject();
}

void SequentialGate::Reject() {
  const PValues p = RepeatedPValues();
  const auto worse_adj = BenjaminiHochberg(p.worse), better_adj = BenjaminiHochberg(p.better);
  for (size_t i = 0; i < benchmarks_.size(); ++i) {
    Bench& b = benchmarks_[i];
    if (b.decided || Repetitions(b) < kMinRepetitions) continue;
    if (worse_adj[i] < options_.compare.alpha) {
      b.verdict = Verdict::kRegression;
    } else if (better_adj[i] < options_.compare.alpha) {
      b.verdict = Verdict::kImprovement;
    } else {
      continue;
    }
    b.decided = true;
    b.decided_at = Taken(b);
  }
}

std::vector<std::string> SequentialGate::Undecided() const {
  std::vector<std::string> out;
  for (const Bench& b : benchmarks_) {
    if (!b.decided) out.push_back(b.name);
  }
  return out;
}

size_t SequentialGate::decided() const {
  return static_cast<size_t>(std::count_if(benchmarks_.begin(), benchmarks_.end(),
                                           [](const Bench& b) { return b.decided; }));
}

size_t SequentialGate::MostRepetitions() const {
  size_t most = 0;
  for (const Bench& b : benchmarks_) most = std::max(most, Taken(b));
  return most;
}

Comparison SequentialGate::Result(const std::string& why) const {
  Comparison out;
  out.metric = options_.compare.metric;
  out.alpha = options_.compare.alpha;
  out.higher_is_better = higher_is_better_;
  const PValues p = RepeatedPValues();
  const auto worse_adj = BenjaminiHochberg(p.worse), better_adj = BenjaminiHochberg(p.better);
  const char* unit = options_.paired ? "rounds" : "repetitions";
  double sum_log = 0, sum_var = 0;
  int measured = 0;
  for (size_t i = 0; i < benchmarks_.size(); ++i) {
    const Bench& b = benchmarks_[i];
    BenchmarkComparison c;
    c.name = b.name;
    c.n_base = options_.paired ? b.diff_log.n : b.base_log.n;
    c.n_candidate = options_.paired ? b.diff_log.n : b.candidate_log.n;
    c.median_base = Median(b.base);
    c.median_candidate = Median(b.candidate);
    c.ratio = std::exp(b.estimate);
    c.ratio_lower = std::exp(b.lower);
    c.ratio_upper = std::exp(b.upper);
    c.p_worse = p.worse[i];
    c.p_better = p.better[i];
    c.p_two_sided = std::min(1.0, 2 * std::min(p.worse[i], p.better[i]));
    c.p_worse_adjusted = worse_adj[i];
    c.p_better_adjusted = better_adj[i];
    c.threshold = b.threshold;
    c.effective_threshold = b.effective_threshold;
    c.noise = b.noise;
    const double half = (b.upper - b.lower) / 2;
    c.min_detectable_effect =
        std::isfinite(half) ? std::expm1(std::log1p(b.effective_threshold) + half) : INFINITY;
    c.verdict = b.decided ? b.verdict : Verdict::kInconclusive;
    std::string note = b.decided ? fmt::format("decided after {} {}", b.decided_at, unit)
                                 : fmt::format("undecided after {} {}: {}", Taken(b), unit, why);
    c.note = b.note.empty() ? note : b.note + "; " + note;
    if (Repetitions(b) < kMinRepetitions) out.insufficient_data = true;
    ++out.counts[c.verdict];
    if (std::isfinite(half) && c.n_candidate > 0) {
      sum_log += b.estimate;
      sum_var += half * half;
      ++measured;
    }
    out.benchmarks.push_back(std::move(c));
  }
  if (measured > 0) {
    // The suite's mean change, with the benchmarks' sequences' half-widths
    // combined as if independent: a summary, not a verdict.
    const double mean = sum_log / measured, half = std::sqrt(sum_var) / measured;
    out.geomean = std::exp(mean);
    out.geomean_lower = std::exp(mean - half);
    out.geomean_upper = std::exp(mean + half);
  }
  out.method = fmt::format(
      "sequential: {} of {} decided, up to {} {}, looking after {}; the intervals hold at every "
      "look at once",
      decided(), benchmarks_.size(), MostRepetitions(), unit, ListLooks(planned_));
  return out;
}

}  // namespace perfkit::report
