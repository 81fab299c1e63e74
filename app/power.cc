#include "app/power.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/database.h"
#include "app/report_files.h"
#include "app/run_record.h"
#include "subsystems/base/clock.h"
#include "subsystems/power/bandwidth.h"
#include "subsystems/power/cpu_usage.h"
#include "subsystems/power/energy_source.h"
#include "suites/harness/host_context.h"

namespace perfkit::app {
namespace {

using nlohmann::json;

json ObservationJson(const power::Observation& o, const power::PowerModel& m) {
  return {{"load", o.load},       {"u", o.u},           {"bw_gbps", o.bw_gbps},
          {"seconds", o.seconds}, {"watts", o.Watts()}, {"model_watts", m.Watts(o.u, o.bw_gbps)}};
}

// A coefficient from an imported file: a finite number >= 0.
Result<double> Coefficient(const json& j, const char* key, const std::string& file) {
  if (!j.contains(key) || !j[key].is_number()) {
    return Status::Error(file + ": '" + key + "' is missing or not a number");
  }
  const double v = j[key].get<double>();
  // No single machine draws 100 kW: a larger coefficient is a broken file,
  // and it would make every budget and estimate meaningless.
  constexpr double kMaxWatts = 100000;
  if (!std::isfinite(v) || v < 0 || v > kMaxWatts) {
    return Status::Error(fmt::format("{}: '{}' must be a finite number >= 0 and at most {}, not {}",
                                     file, key, kMaxWatts, v));
  }
  return v;
}

}  // namespace

std::string HostFingerprint() { return harness::ReadHostContext().fingerprint; }

power::PowerModel ModelOf(const store::PowerProfile& p) {
  return {p.p_idle_w, p.c_cpu_w_per_util, p.c_mem_w_per_gbps};
}

Result<std::optional<store::PowerProfile>> LoadHostPowerProfile(const store::StoreLocation& db) {
  if (!db.MayHoldRuns()) return std::optional<store::PowerProfile>();
  auto store = OpenStore(db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  return LoadHostPowerProfile(**store);
}

Result<std::optional<store::PowerProfile>> LoadHostPowerProfile(store::Store& store) {
  auto profiles = store.LoadPowerProfiles(HostFingerprint());
  if (!profiles.ok()) return profiles.status();
  if (profiles->empty()) return std::optional<store::PowerProfile>();
  return std::optional<store::PowerProfile>(profiles->front());
}

Result<PowerStatus> ReadPowerStatus(const store::StoreLocation& db, double window_s) {
  PowerStatus s;
  auto profile = LoadHostPowerProfile(db);
  if (!profile.ok()) return profile.status();
  s.profile = *profile;
  power::EnergyProbe probe = power::ProbeEnergy();
  s.source = probe.Describe();
  auto ticks0 = power::ReadCpuTicks();
  if (!ticks0.ok()) return ticks0.status();
  auto mbm0 = power::ReadMbmTotalBytes();
  double joules0 = 0;
  if (probe.source) {
    if (auto j = probe.source->Joules(); j.ok()) joules0 = *j;
  }
  Clock& clock = LoopClock();
  const double t0 = clock.Now();
  clock.Sleep(window_s);
  const double seconds = clock.Now() - t0;
  auto ticks1 = power::ReadCpuTicks();
  if (!ticks1.ok()) return ticks1.status();
  s.u = power::Utilisation(*ticks0, *ticks1);
  if (mbm0.ok()) {
    auto mbm1 = power::ReadMbmTotalBytes();
    if (mbm1.ok()) s.bw_gbps = static_cast<double>(*mbm1 - *mbm0) / seconds / 1e9;
    s.bw_source = "resctrl MBM";
  } else {
    s.bw_source = mbm0.error();
  }
  if (probe.source) {
    if (auto j = probe.source->Joules(); j.ok()) s.measured_w = (*j - joules0) / seconds;
  }
  if (s.profile) s.estimated_w = ModelOf(*s.profile).Watts(s.u, s.bw_gbps.value_or(0));
  return s;
}

std::string PowerStatusJson(const PowerStatus& s) {
  json j = {{"source", s.source}, {"u", s.u}, {"bw_source", s.bw_source}};
  j["measured_w"] = s.measured_w ? json(*s.measured_w) : json(nullptr);
  j["bw_gbps"] = s.bw_gbps ? json(*s.bw_gbps) : json(nullptr);
  j["estimated_w"] = s.estimated_w ? json(*s.estimated_w) : json(nullptr);
  if (s.profile) {
    j["profile"] = {{"source", s.profile->source},
                    {"created_at", s.profile->created_at},
                    {"p_idle_w", s.profile->p_idle_w},
                    {"c_cpu_w_per_util", s.profile->c_cpu_w_per_util},
                    {"c_mem_w_per_gbps", s.profile->c_mem_w_per_gbps},
                    {"validated", s.profile->validated}};
  } else {
    j["profile"] = nullptr;
  }
  return j.dump(2);
}

Result<CalibrateOutcome> CalibratePower(const PowerCalibrateRequest& r) {
  power::EnergyProbe probe = power::ProbeEnergy();
  if (!probe.source && r.reference.empty()) {
    return Status::Error("no energy source to calibrate against: " + probe.Describe() +
                         "; give an external meter's log with --reference FILE, or import a "
                         "profile (perfkit power profile import FILE)");
  }
  // The log is read after the loads (a logger may still be writing it), but
  // one that exists and cannot be read fails now, not minutes later.
  if (!r.reference.empty() && access(r.reference.c_str(), F_OK) == 0 &&
      access(r.reference.c_str(), R_OK) != 0) {
    return Status::Error("cannot read the reference meter log " + r.reference);
  }
  // Open the store first: a database that cannot be written fails now,
  // not after the loads.
  auto store = OpenStore(r.db);
  if (!store.ok()) return store.status();
  CalibrateOutcome out;
  out.source = r.reference.empty() ? probe.source->name() : "reference meter " + r.reference;
  power::CalibrationIo io;
  io.source = r.reference.empty() ? probe.source.get() : nullptr;
  io.reference = r.reference;
  io.progress = r.progress;
  io.interrupted = r.interrupted;
  auto c = power::Calibrate(power::MakePlan(r.quick), io);
  if (!c.ok()) return c.status();
  out.calibration = *c;
  const power::PowerModel& m = c->model;
  json j = {{"source", out.source},
            {"p_idle_w", m.p_idle_w},
            {"c_cpu_w_per_util", m.c_cpu_w_per_util},
            {"c_mem_w_per_gbps", m.c_mem_w_per_gbps},
            {"validation",
             {{"mape_pct", c->validation.mape_pct},
              {"bias_pct", c->validation.bias_pct},
              {"max_err_pct", c->validation.max_err_pct},
              {"energy_mape_pct", c->validation.energy_mape_pct},
              {"energy_max_err_pct", c->validation.energy_max_err_pct},
              {"held_out", c->validation.n}}},
            {"validated", c->validated},
            {"ladder", json::array()},
            {"held_out", json::array()},
            {"quick", r.quick},
            {"cpus", power::OnlineCpus()},
            {"date", NowIso8601()}};
  for (const auto& o : c->ladder) j["ladder"].push_back(ObservationJson(o, m));
  for (const auto& o : c->held_out) j["held_out"].push_back(ObservationJson(o, m));
  out.json = j.dump(2);
  // A model this far off on loads it never saw would price every later
  // estimate wrongly: it is shown, never kept.
  if (!c->validated) {
    return Status::Error(fmt::format(
        "the fitted model missed the held-out loads by {:.1f}% on average (at most {:.0f}% is "
        "accepted): not stored; calibrate on a quiet machine, or import a profile",
        c->validation.mape_pct, power::kValidatedMapePct));
  }
  store::PowerProfile p{HostFingerprint(),  NowIso8601(),       out.source,   m.p_idle_w,
                        m.c_cpu_w_per_util, m.c_mem_w_per_gbps, c->validated, out.json};
  if (Status s = (*store)->SavePowerProfile(p); !s.ok()) return s;
  return out;
}

Result<store::PowerProfile> ImportPowerProfile(const store::StoreLocation& db,
                                               const std::string& file) {
  std::ifstream in(file);
  if (!in) return Status::Error("cannot read " + file);
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Error(file + ": not a JSON object");
  auto idle = Coefficient(j, "p_idle_w", file);
  if (!idle.ok()) return idle.status();
  auto cpu = Coefficient(j, "c_cpu_w_per_util", file);
  if (!cpu.ok()) return cpu.status();
  auto mem = Coefficient(j, "c_mem_w_per_gbps", file);
  if (!mem.ok()) return mem.status();
  if (*idle + *cpu <= 0) return Status::Error(file + ": a model of zero watts");
  const std::string from = j.contains("source") && j["source"].is_string()
                               ? j["source"].get<std::string>()
                               : std::string("unknown");
  json provenance = {{"imported_from", file}, {"original", j}};
  store::PowerProfile p{HostFingerprint(),
                        NowIso8601(),
                        "imported from " + file + " (its source: " + from + ")",
                        *idle,
                        *cpu,
                        *mem,
                        false,
                        provenance.dump()};
  auto store = OpenStore(db);
  if (!store.ok()) return store.status();
  if (Status s = (*store)->SavePowerProfile(p); !s.ok()) return s;
  return p;
}

Result<RecordOutcome> RecordPower(const RecordRequest& r) {
  power::EnergyProbe probe = power::ProbeEnergy();
  std::optional<power::PowerModel> model;
  if (!probe.source) {
    auto profile = LoadHostPowerProfile(r.db);
    if (!profile.ok()) return profile.status();
    if (!*profile) {
      return Status::Error("nothing to record: no energy source (" + probe.Describe() +
                           ") and no power profile for this host (perfkit power calibrate, or "
                           "perfkit power profile import FILE)");
    }
    model = ModelOf(**profile);
  }
  auto store = OpenStore(r.db);
  if (!store.ok()) return store.status();
  RecordOutcome out;
  out.measured = probe.source != nullptr;
  std::vector<store::PowerSampleRow> pending;
  const double cpu0 = power::SelfCpuSeconds();
  Clock& clock = LoopClock();
  const double start = clock.Now();
  double next = start;
  auto ticks = power::ReadCpuTicks();
  if (!ticks.ok()) return ticks.status();
  auto mbm = power::ReadMbmTotalBytes();
  double joules = 0;
  if (probe.source) {
    auto j = probe.source->Joules();
    if (!j.ok()) return j.status();
    joules = *j;
  }
  auto last = start;
  while (!(r.interrupted && r.interrupted())) {
    next += r.interval_s;
    clock.Sleep(next - clock.Now());
    const double now = clock.Now();
    const double dt = now - last;
    last = now;
    auto t = power::ReadCpuTicks();
    if (!t.ok()) return t.status();
    store::PowerSampleRow s;
    s.unix_time = power::UnixSeconds();
    s.u = power::Utilisation(*ticks, *t);
    ticks = t;
    s.origin = "record";
    s.measured = out.measured;
    if (probe.source) {
      auto j = probe.source->Joules();
      if (!j.ok()) return j.status();
      s.watts = (*j - joules) / dt;
      joules = *j;
    } else {
      double bw = 0;
      if (mbm.ok()) {
        auto m2 = power::ReadMbmTotalBytes();
        if (m2.ok()) {
          bw = static_cast<double>(*m2 - *mbm) / dt / 1e9;
          mbm = m2;
        }
      }
      s.watts = model->Watts(s.u, bw);
    }
    pending.push_back(s);
    ++out.samples;
    // Written in batches: a killed recorder loses at most a few seconds.
    if (pending.size() >= 50) {
      if (Status st = (*store)->SavePowerSamples(pending); !st.ok()) return st;
      pending.clear();
    }
    if (r.duration_s > 0 && now - start >= r.duration_s) break;
  }
  if (Status st = (*store)->SavePowerSamples(pending); !st.ok()) return st;
  out.seconds = clock.Now() - start;
  out.cpu_seconds = power::SelfCpuSeconds() - cpu0;
  return out;
}

Result<HistoryOutcome> PowerHistory(const HistoryRequest& r) {
  HistoryOutcome out;
  if (!r.db.MayHoldRuns()) return Status::Error("no database at " + r.db.shown());
  auto store = OpenStore(r.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  auto samples = (*store)->LoadPowerSamples(power::UnixSeconds() - r.last_s);
  if (!samples.ok()) return samples.status();
  out.samples = std::move(*samples);
  if (r.plot.empty()) return out;
  if (out.samples.empty()) {
    out.plot_note = "no plot: no samples in that time";
    return out;
  }
  // The plot script reads a CSV of our own beside the PNG (mkstemps never
  // opens a file that exists, so no file of the user's is touched).
  std::string csv = r.plot + ".perfkit-XXXXXX.csv";
  const int fd = mkstemps(csv.data(), 4);
  if (fd < 0) return Status::Error("cannot write beside " + r.plot + ": " + std::strerror(errno));
  close(fd);
  {
    std::ofstream f(csv);
    f << "unix_time,watts,measured,u,origin,run_id\n";
    for (const auto& s : out.samples) {
      f << fmt::format("{:.3f},{:.3f},{},{:.4f},{},{}\n", s.unix_time, s.watts, s.measured ? 1 : 0,
                       s.u, s.origin, s.run_id);
    }
    if (!f) {
      std::remove(csv.c_str());
      return Status::Error("cannot write " + csv);
    }
  }
  Status plotted = RunPlotScript(SystemLauncher(), "power_history.py", {csv, r.plot});
  std::remove(csv.c_str());
  if (!plotted.ok()) out.plot_note = "no plot: " + plotted.message();
  return out;
}

Result<double> ParseDuration(const std::string& text) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return Status::InvalidArgument("'" + text + "' is not a duration (10s, 5m, 2h, 1d)");
  }
  const std::string unit = text.substr(used);
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1;
  } else if (unit == "ms") {
    scale = 1e-3;
  } else if (unit == "m") {
    scale = 60;
  } else if (unit == "h") {
    scale = 3600;
  } else if (unit == "d") {
    scale = 86400;
  }
  if (scale == 0 || !std::isfinite(v) || v <= 0) {
    return Status::InvalidArgument("'" + text + "' is not a duration (10s, 5m, 2h, 1d)");
  }
  return v * scale;
}

}  // namespace perfkit::app
