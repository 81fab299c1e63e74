#include "report/sequential.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/mann_whitney.h"
#include "report/stats.h"

namespace perfkit::report {
namespace {

// The statistics of the log change: its estimate, standard error, degrees
// of freedom and effective sample size.
struct TStats {
  double estimate = 0, se = 0, df = 0, n_eff = 0;
};

bool Usable(double v) { return v > 0 && std::isfinite(v); }

// The regularized incomplete beta function I_x(a, b) by its continued
// fraction (DLMF 8.17.22), evaluated with the modified Lentz method.
double IncompleteBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - IncompleteBeta(b, a, 1 - x);
  constexpr double kTiny = 1e-300;
  double f = kTiny, c = f, d = 0;
  for (int j = 1; j < 400; ++j) {
    double numerator = 1;  // a_1 = 1, then d_1, d_2, ...
    if (j > 1) {
      const int k = j - 1, m = k / 2;
      numerator = k % 2 == 1 ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                             : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    }
    d = 1 + numerator * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + numerator / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    f *= c * d;
    if (std::fabs(c * d - 1) < 1e-14) break;
  }
  const double log_front =
      a * std::log(x) + b * std::log1p(-x) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
  return std::exp(log_front) / a * f;
}

}  // namespace

double MixtureEvidence(double t, double n_eff, double df, double rho) {
  if (!(df > 0) || !(n_eff > 0)) return 1;
  const double u = std::isfinite(t) ? t * t / df : 1e300;
  const double shrink = rho / (rho + n_eff);
  const double log_e =
      0.5 * std::log(shrink) + (df + 1) / 2 * (std::log1p(u) - std::log1p(u * shrink));
  return std::exp(std::min(log_e, 700.0));
}

void SequentialGate::Moments::Add(double x) {
  ++n;
  const double delta = x - mean;
  mean += delta / static_cast<double>(n);
  m2 += delta * (x - mean);
}

double StudentTCdf(double t, double dof) {
  if (std::isnan(t) || !(dof > 0)) return NAN;
  if (std::isinf(t)) return t > 0 ? 1 : 0;
  const double tail = 0.5 * IncompleteBeta(dof / 2, 0.5, dof / (dof + t * t));
  return t > 0 ? 1 - tail : tail;
}

double OneSidedEvidence(double t, double n_eff, double df, double rho) {
  if (!(df > 0) || !(n_eff > 0)) return 1;
  const double u = std::isfinite(t) ? t * t / df : 1e300;
  const double shrink = rho / (rho + n_eff);
  // The chance, after the data, that the change lies on the alternative's
  // side: a t distribution with df + 1 degrees of freedom (the prior's
  // half that points the other way is given up, hence the factor 2).
  const double lean = std::sqrt(n_eff * u * (df + 1) / ((1 + u * shrink) * (rho + n_eff)));
  const double side = StudentTCdf(t >= 0 ? lean : -lean, df + 1);
  return std::min(2 * MixtureEvidence(t, n_eff, df, rho) * side, 1e300);
}

double OneSidedBoundary(double n_eff, double df, double alpha, double rho) {
  const double goal = 1 / alpha;
  double hi = 1;
  while (OneSidedEvidence(hi, n_eff, df, rho) < goal) {
    hi *= 2;
    if (hi > 1e9) return INFINITY;
  }
  double lo = 0;
  for (int i = 0; i < 60 && hi - lo > 1e-9 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    (OneSidedEvidence(mid, n_eff, df, rho) < goal ? lo : hi) = mid;
  }
  return hi;
}

SequentialGate::SequentialGate(SequentialOptions options)
    : options_(std::move(options)), higher_is_better_(HigherIsBetter(options_.compare.metric)) {}

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

double SequentialGate::Boundary(double n_eff, double df) const {
  auto [it, added] = boundaries_.emplace(std::make_pair(n_eff, df), 0.0);
  if (added) it->second = OneSidedBoundary(n_eff, df, options_.compare.alpha, options_.rho);
  return it->second;
}

size_t SequentialGate::Taken(const Bench& b) const {
  return options_.paired ? b.diff_log.n : b.candidate_log.n;
}

void SequentialGate::Update(Bench& b) const {
  TStats s;
  if (options_.paired) {
    const Moments& d = b.diff_log;
    if (d.n < 2) return;
    s.estimate = d.mean;
    s.df = static_cast<double>(d.n - 1);
    s.n_eff = static_cast<double>(d.n);
    s.se = std::sqrt(d.m2 / s.df / s.n_eff);
  } else {
    const double nb = static_cast<double>(b.base_log.n);
    const double nc = static_cast<double>(b.candidate_log.n);
    if (nb < 1 || nc < 1 || nb + nc < 3) return;
    s.estimate = b.candidate_log.mean - b.base_log.mean;
    s.df = nb + nc - 2;
    s.n_eff = 1 / (1 / nb + 1 / nc);
    s.se = std::sqrt((b.base_log.m2 + b.candidate_log.m2) / s.df * (1 / nb + 1 / nc));
  }
  const double se = std::max(s.se, 1e-12);  // identical values: an exact change
  const double half = Boundary(s.n_eff, s.df) * se;
  b.estimate = s.estimate;
  b.lower = s.estimate - half;
  b.upper = s.estimate + half;
  const double limit = std::log1p(b.effective_threshold);
  const double slowdown = higher_is_better_ ? -s.estimate : s.estimate;
  if (slowdown > limit) {
    b.e_worse =
        std::max(b.e_worse, OneSidedEvidence((slowdown - limit) / se, s.n_eff, s.df, options_.rho));
  }
  if (slowdown < -limit) {
    b.e_better = std::max(b.e_better,
                          OneSidedEvidence((-limit - slowdown) / se, s.n_eff, s.df, options_.rho));
  }
}

SequentialGate::PValues SequentialGate::AnytimePValues() const {
  PValues p;
  for (const Bench& b : benchmarks_) {
    p.worse.push_back(b.e_worse > 1 ? 1 / b.e_worse : 1);
    p.better.push_back(b.e_better > 1 ? 1 / b.e_better : 1);
  }
  return p;
}

void SequentialGate::Look() {
  for (Bench& b : benchmarks_) {
    if (b.decided) continue;
    Update(b);
    const double limit = std::log1p(b.effective_threshold);
    if (Repetitions(b) >= kMinRepetitions && b.lower > -limit && b.upper < limit) {
      b.decided = true;
      b.verdict = Verdict::kNoChange;
      b.decided_at = Taken(b);
    }
  }
  // Benjamini-Hochberg over every benchmark's anytime-valid p-values; they
  // only fall as evidence grows, so what was rejected stays rejected.
  const PValues p = AnytimePValues();
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
  const PValues p = AnytimePValues();
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
      "sequential: {} of {} decided, up to {} {}; the confidence sequences hold at every look",
      decided(), benchmarks_.size(), MostRepetitions(), unit);
  return out;
}

}  // namespace perfkit::report
