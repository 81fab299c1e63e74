#include "suites/harness/energy.h"

#include <fmt/format.h>

#include <chrono>

#include "subsystems/power/bandwidth.h"
#include "subsystems/power/cpu_usage.h"

namespace perfkit::harness {

Result<std::shared_ptr<EnergyMeter>> EnergyMeter::Open(
    const std::optional<power::PowerModel>& model, bool model_validated) {
  std::shared_ptr<EnergyMeter> m(new EnergyMeter());
  power::EnergyProbe probe = power::ProbeEnergy();
  if (probe.source) {
    m->description_ = "measured by " + probe.source->name() + " (the whole machine)";
    m->source_ = std::move(probe.source);
    return m;
  }
  if (!model) {
    return Status::Error("no energy source here (" + probe.Describe() +
                         ") and no power profile for this host (perfkit power calibrate, or "
                         "perfkit power profile import FILE)");
  }
  m->model_ = *model;
  // A benchmark's bytes processed may never leave the cache: only a real
  // bandwidth counter feeds the memory term.
  auto mbm = power::ReadMbmTotalBytes();
  m->mbm_ = mbm.ok();
  m->description_ = fmt::format(
      "estimated from the power profile ({}; P = {:.1f} W + {:.1f} W x u + {:.2f} W per GB/s), "
      "no energy source here; u from this process's CPU time; {}",
      model_validated ? "validated" : "not validated", model->p_idle_w, model->c_cpu_w_per_util,
      model->c_mem_w_per_gbps,
      m->mbm_ ? "bandwidth from resctrl MBM" : "memory term left out (" + mbm.error() + ")");
  return m;
}

void EnergyMeter::Start() {
  if (source_) {
    auto j = source_->Joules();
    joules0_ = j.ok() ? *j : 0;
  }
  if (mbm_) {
    auto b = power::ReadMbmTotalBytes();
    mbm0_ = b.ok() ? *b : 0;
  }
  cpu0_ = power::SelfCpuSeconds();
  t0_ = std::chrono::steady_clock::now();
}

void EnergyMeter::Stop(benchmark::State& state) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  const double cpu = power::SelfCpuSeconds() - cpu0_;
  const int cpus = power::OnlineCpus();
  const double u = seconds > 0 ? std::min(1.0, cpu / seconds / cpus) : 0;
  if (seconds <= 0 || state.iterations() == 0 || state.error_occurred()) return;
  const double iterations = static_cast<double>(state.iterations());
  double joules = 0;
  if (source_) {
    auto j = source_->Joules();
    if (!j.ok()) return;
    joules = *j - joules0_;
  } else {
    double bytes = 0;
    if (mbm_) {
      auto b = power::ReadMbmTotalBytes();
      if (b.ok()) bytes = static_cast<double>(*b - mbm0_);
    }
    joules = model_.p_idle_w * seconds + model_.c_cpu_w_per_util * u * seconds +
             model_.c_mem_w_per_gbps * bytes / 1e9;
  }
  const char* energy = source_ ? "energy_j" : "energy_est_j";
  const char* power = source_ ? "power_w" : "power_est_w";
  state.counters[energy] = joules / iterations;
  state.counters[power] = joules / seconds;
  samples_.push_back({power::UnixSeconds(), joules / seconds, u});
}

}  // namespace perfkit::harness
