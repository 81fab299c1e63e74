#include "subsystems/power/calibrate.h"

#include <fmt/format.h>

#include <algorithm>

#include "subsystems/base/clock.h"
#include "subsystems/power/cpu_usage.h"
#include "subsystems/power/reference_meter.h"

namespace perfkit::power {

CalibrationPlan MakePlan(bool quick) {
  CalibrationPlan plan;
  const std::vector<double> cpu =
      quick ? std::vector<double>{0, 0.5, 1} : std::vector<double>{0, 0.25, 0.5, 0.75, 1};
  const std::vector<double> mem =
      quick ? std::vector<double>{0, 1} : std::vector<double>{0, 0.5, 1};
  for (double m : mem) {
    for (double c : cpu) plan.ladder.push_back({LoadKind::kLadder, c, m});
  }
  plan.held_out = {{LoadKind::kIntegerMix, 0.6, 0}, {LoadKind::kPointerChase, 0, 0}};
  if (!quick) {
    plan.held_out.push_back({LoadKind::kLadder, 0.35, 0.3});
    plan.held_out.push_back({LoadKind::kIntegerMix, 0.9, 0});
  }
  plan.warmup_s = quick ? 0.5 : 1;
  plan.step_s = quick ? 4 : 8;
  return plan;
}

namespace {

// The joules at the moment the source next moves. A counter that updates
// in steps (every millisecond for RAPL, slower for some firmware, and at the
// whim of a starved writer) read at an arbitrary moment is stale by up to a
// step; read on its update, it is current, so an interval timed between two
// updates holds the energy of exactly its own time. A source that does not
// move within a second is taken as it is.
Result<double> JoulesOnUpdate(EnergySource* source) {
  auto first = source->Joules();
  if (!first.ok()) return first;
  Clock& clock = LoopClock();
  const double give_up = clock.Now() + 1;
  while (clock.Now() < give_up) {
    clock.Sleep(0.0005);
    auto j = source->Joules();
    if (!j.ok() || *j != *first) return j;
  }
  return first;
}

// The log once it reaches `until`: a logger appends as it reads its meter,
// behind by up to the gap it may leave between readings, so a log read the
// moment the last load ends may stop short of it (as it did on a busy
// machine). Waits at most that gap; then the log as it is, for Joules to
// say what it lacks.
Result<ReferenceMeter> LoadReaching(const std::string& path, double until,
                                    const std::function<bool()>& interrupted) {
  Clock& clock = LoopClock();
  const double give_up = clock.Now() + ReferenceMeter::kMaxGapSeconds;
  for (;;) {
    auto meter = ReferenceMeter::Load(path);
    if (meter.ok() && meter->last_reading() >= until) return meter;
    if (clock.Now() >= give_up || (interrupted && interrupted())) return meter;
    clock.Sleep(0.1);
  }
}

}  // namespace

Result<Interval> MeasureLoad(const LoadSpec& spec, double warmup_s, double seconds,
                             EnergySource* source, const std::function<bool()>& interrupted) {
  Load load(spec);
  auto stopped = [&] { return interrupted && interrupted(); };
  Clock& clock = LoopClock();
  const double warm = clock.Now() + warmup_s;
  while (clock.Now() < warm && !stopped()) clock.Sleep(0.02);
  Interval in;
  in.observation.load = spec.Describe();
  double joules0 = 0;
  if (source != nullptr) {
    auto j = JoulesOnUpdate(source);
    if (!j.ok()) return j.status();
    joules0 = *j;
  }
  auto ticks0 = ReadCpuTicks();
  if (!ticks0.ok()) return ticks0.status();
  const uint64_t bytes0 = load.bytes();
  const double t0 = clock.Now();
  in.unix_from = UnixSeconds();
  const double end = t0 + seconds;
  // Read the source every 100 ms: a counter must not wrap twice unseen, and
  // a power-only source is integrated from its readings.
  while (clock.Now() < end) {
    if (stopped()) return Status::Cancelled("interrupted");
    clock.Sleep(0.1);
    if (source != nullptr) {
      if (auto j = source->Joules(); !j.ok()) return j.status();
    }
  }
  double joules1 = 0;
  if (source != nullptr) {
    auto j = JoulesOnUpdate(source);
    if (!j.ok()) return j.status();
    joules1 = *j;
  }
  const double t1 = clock.Now();
  in.unix_to = UnixSeconds();
  auto ticks1 = ReadCpuTicks();
  if (!ticks1.ok()) return ticks1.status();
  Observation& o = in.observation;
  o.seconds = t1 - t0;
  o.u = Utilisation(*ticks0, *ticks1);
  o.bw_gbps = static_cast<double>(load.bytes() - bytes0) / o.seconds / 1e9;
  o.joules = joules1 - joules0;
  return in;
}

Result<Calibration> Calibrate(const CalibrationPlan& plan, const CalibrationIo& io) {
  if (io.source == nullptr && io.reference.empty()) {
    return Status::Error("calibration needs an energy source or a reference meter's log");
  }
  std::vector<Interval> ladder, held_out;
  const size_t total = plan.ladder.size() + plan.held_out.size();
  size_t done = 0;
  for (auto* list : {&plan.ladder, &plan.held_out}) {
    for (const LoadSpec& spec : *list) {
      if (io.progress) {
        io.progress(fmt::format("[{}/{}] {}{}", ++done, total, spec.Describe(),
                                list == &plan.held_out ? " (held out)" : ""));
      }
      auto in = MeasureLoad(spec, plan.warmup_s, plan.step_s, io.source, io.interrupted);
      if (!in.ok()) return in.status();
      (list == &plan.ladder ? ladder : held_out).push_back(*in);
    }
  }
  if (!io.reference.empty()) {
    double until = 0;
    for (const auto* list : {&ladder, &held_out}) {
      for (const Interval& in : *list) until = std::max(until, in.unix_to);
    }
    auto meter = LoadReaching(io.reference, until, io.interrupted);
    if (!meter.ok()) return meter.status();
    for (auto* list : {&ladder, &held_out}) {
      for (Interval& in : *list) {
        auto j = meter->Joules(in.unix_from, in.unix_to);
        if (!j.ok()) return j.status();
        in.observation.joules = *j;
      }
    }
  }
  Calibration c;
  for (const Interval& in : ladder) c.ladder.push_back(in.observation);
  for (const Interval& in : held_out) c.held_out.push_back(in.observation);
  auto model = Fit(c.ladder);
  if (!model.ok()) return model.status();
  c.model = *model;
  c.validation = Validate(c.model, c.held_out);
  c.validated = c.validation.n > 0 && c.validation.mape_pct <= kValidatedMapePct;
  return c;
}

}  // namespace perfkit::power
