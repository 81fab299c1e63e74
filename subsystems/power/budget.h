// A command run under a power budget: its power sampled every 100 ms
// (measured from an energy source, or estimated from the model and the
// command's own CPU time) and held under the budget by cgroup v2's cpu.max
// where perfkit may write it, else by stopping and continuing the
// command's process group within each sample.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/base/subprocess.h"
#include "subsystems/power/energy_source.h"
#include "subsystems/power/model.h"

namespace perfkit::power {

struct PowerSample {
  double t_s = 0;  // the sample's end, from the command's start
  double watts = 0;
  double u = 0;  // the command's utilisation, 0 to 1 over all CPUs
};

struct BudgetOptions {
  std::vector<std::string> argv;
  PowerModel model;
  double budget_w = 0;             // 0: no budget, only measured
  EnergySource* source = nullptr;  // measured power; null: the model's estimate
  double sample_s = 0.1;
  bool allow_cgroup = true;
  std::function<bool()> interrupted;  // asked to stop (SIGINT)
};

struct BudgetRun {
  std::string method;              // "none", "cgroup cpu.max", "SIGSTOP/SIGCONT within each sample"
  std::string cgroup_unavailable;  // why cpu.max was not used
  double seconds = 0, joules = 0, mean_w = 0, peak_w = 0;
  int samples_over = 0;
  std::vector<PowerSample> samples;
  ExitInfo exit;
  pid_t pgid = 0;  // the command's process group
};

// Runs the command to its end. A budget at or below the model's idle power
// is refused: no throttling can reach it. The command is never left
// stopped: it is continued on every way out, interrupts included.
Result<BudgetRun> RunWithBudget(Launcher& launcher, const BudgetOptions& options);

}  // namespace perfkit::power
