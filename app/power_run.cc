// `perfkit power run --budget`: the command unconstrained, then under the
// budget, with the samples of both kept in the history.
#include <chrono>

#include "app/database.h"
#include "app/power.h"
#include "subsystems/power/cpu_usage.h"
#include "subsystems/power/energy_source.h"

namespace perfkit::app {
namespace {

void KeepSamples(const power::BudgetRun& run, double unix_start, bool measured,
                 const std::string& origin, std::vector<store::PowerSampleRow>* rows) {
  for (const power::PowerSample& s : run.samples) {
    store::PowerSampleRow row;
    row.unix_time = unix_start + s.t_s;
    row.watts = s.watts;
    row.measured = measured;
    row.u = s.u;
    row.origin = origin;
    rows->push_back(row);
  }
}

}  // namespace

Result<BudgetOutcome> RunUnderBudget(const BudgetRequest& r) {
  if (!(r.budget_w > 0))
    return Status::InvalidArgument("--budget must be a positive number of watts");
  auto profile = LoadHostPowerProfile(r.db);
  if (!profile.ok()) return profile.status();
  if (!*profile) {
    return Status::Error(
        "no power profile for this host: the budget is held through the model (perfkit power "
        "calibrate, or perfkit power profile import FILE)");
  }
  BudgetOutcome out;
  out.model = ModelOf(**profile);
  if (r.budget_w <= out.model.p_idle_w) {
    return Status::InvalidArgument("a budget of " + std::to_string(r.budget_w) +
                                   " W is at or below this machine's idle power (" +
                                   std::to_string(out.model.p_idle_w) +
                                   " W in the profile): no throttling can reach it");
  }
  power::EnergyProbe probe = power::ProbeEnergy();
  out.measured = probe.source != nullptr;
  out.power_source = out.measured ? "measured by " + probe.source->name()
                                  : std::string("estimated from the power profile") +
                                        ((*profile)->validated ? "" : " (not validated)") +
                                        " and the command's CPU time";
  auto store = OpenStore(r.db);
  if (!store.ok()) return store.status();

  power::BudgetOptions o;
  o.argv = r.argv;
  o.model = out.model;
  o.source = probe.source.get();
  o.allow_cgroup = r.allow_cgroup;
  o.interrupted = r.interrupted;
  std::vector<store::PowerSampleRow> rows;
  double t = power::UnixSeconds();
  auto free = power::RunWithBudget(SystemLauncher(), o);
  if (!free.ok()) return free.status();
  out.free = *free;
  KeepSamples(out.free, t, out.measured, "run", &rows);
  o.budget_w = r.budget_w;
  t = power::UnixSeconds();
  auto limited = power::RunWithBudget(SystemLauncher(), o);
  if (!limited.ok()) return limited.status();
  out.limited = *limited;
  KeepSamples(out.limited, t, out.measured, "run --budget", &rows);
  if (Status s = (*store)->SavePowerSamples(rows); !s.ok()) return s;
  return out;
}

}  // namespace perfkit::app
