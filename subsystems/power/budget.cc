#include "subsystems/power/budget.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "subsystems/base/clock.h"
#include "subsystems/power/cpu_usage.h"
#include "subsystems/power/sysfs.h"

namespace perfkit::power {
namespace {

constexpr double kTick = 0.005;  // seconds
// Aim this far under the budget: the group's CPU time is read every tick,
// so a sample can overshoot by what one tick runs.
constexpr double kAim = 0.92;

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// A cgroup v2 child of our own cgroup with the cpu controller, or why not.
struct Cgroup {
  std::string dir;
  std::string why_not;

  static Cgroup Create(double cpus_allowed) {
    Cgroup c;
    std::ifstream self("/proc/self/cgroup");
    std::string line, path;
    while (std::getline(self, line)) {
      if (line.rfind("0::", 0) == 0) path = line.substr(3);
    }
    std::ifstream mounts("/proc/self/mountinfo");
    std::string mount;
    while (std::getline(mounts, line)) {
      if (line.find(" - cgroup2 ") == std::string::npos) continue;
      std::istringstream f(line);
      std::string skip;
      for (int i = 0; i < 4; ++i) f >> skip;
      f >> mount;
    }
    if (path.empty() || mount.empty()) {
      c.why_not = "no cgroup v2 hierarchy";
      return c;
    }
    // The real hierarchy, never under PERFKIT_SYSFS_ROOT: this controls the
    // kernel rather than reading a counter.
    const std::string parent = mount + (path == "/" ? "" : path);
    auto controllers = ReadText(parent + "/cgroup.controllers");
    if (!controllers.ok() || (" " + *controllers + " ").find(" cpu ") == std::string::npos) {
      c.why_not = "the cpu controller is not available in " + parent;
      return c;
    }
    const std::string dir = parent + "/perfkit-power-" + std::to_string(getpid());
    if (mkdir(dir.c_str(), 0755) != 0) {
      c.why_not = "cannot create " + dir + ": " + std::strerror(errno);
      return c;
    }
    // The cpu controller must be on in the parent for the child (v2 allows
    // it only where the parent holds no processes of its own).
    if (!WriteFile(parent + "/cgroup.subtree_control", "+cpu") ||
        !WriteFile(dir + "/cpu.max",
                   fmt::format("{} 100000", static_cast<long>(cpus_allowed * 100000)))) {
      rmdir(dir.c_str());
      c.why_not = "cannot enable cpu.max under " + parent;
      return c;
    }
    c.dir = dir;
    return c;
  }
  bool Add(pid_t pid) const { return WriteFile(dir + "/cgroup.procs", std::to_string(pid)); }
  double CpuSeconds() const {
    std::ifstream in(dir + "/cpu.stat");
    std::string key;
    uint64_t value = 0;
    while (in >> key >> value) {
      if (key == "usage_usec") return static_cast<double>(value) * 1e-6;
    }
    return 0;
  }
  void Remove() const {
    if (!dir.empty()) rmdir(dir.c_str());
  }
};

// Keeps a process group continued whatever happens to us.
struct Continuer {
  pid_t pgid;
  bool stopped = false;
  void Stop() {
    if (!stopped && kill(-pgid, SIGSTOP) == 0) stopped = true;
  }
  void Continue() {
    if (stopped) kill(-pgid, SIGCONT);
    stopped = false;
  }
  ~Continuer() { Continue(); }
};

}  // namespace

Result<BudgetRun> RunWithBudget(Launcher& launcher, const BudgetOptions& o) {
  const PowerModel& m = o.model;
  const int cpus = OnlineCpus();
  if (o.budget_w > 0 && o.budget_w <= m.p_idle_w) {
    return Status::InvalidArgument(fmt::format(
        "a budget of {:.1f} W is at or below this machine's idle power ({:.1f} W): no throttling "
        "can reach it",
        o.budget_w, m.p_idle_w));
  }
  // The utilisation the budget allows, from the model.
  const double u_allowed =
      m.c_cpu_w_per_util > 0 ? (o.budget_w - m.p_idle_w) / m.c_cpu_w_per_util : 1e9;
  BudgetRun run;
  run.method = "none";
  Cgroup cgroup;
  if (o.budget_w > 0 && u_allowed < 1) {
    if (o.allow_cgroup) {
      cgroup = Cgroup::Create(std::max(0.01, u_allowed * kAim) * cpus);
      run.cgroup_unavailable = cgroup.why_not;
    } else {
      run.cgroup_unavailable = "not tried (--no-cgroup)";
    }
    run.method = cgroup.dir.empty() ? "SIGSTOP/SIGCONT within each sample" : "cgroup cpu.max";
  }

  SpawnOptions spawn;
  spawn.argv = o.argv;
  spawn.out = Redirect::kToStderr;
  spawn.new_process_group = true;
  spawn.hold = !cgroup.dir.empty();
  auto process = launcher.Spawn(spawn);
  if (!process.ok()) {
    cgroup.Remove();
    return process.status();
  }
  Process& p = **process;
  run.pgid = p.pid();
  if (!cgroup.dir.empty()) {
    if (!cgroup.Add(p.pid())) {
      run.method = "SIGSTOP/SIGCONT within each sample";
      run.cgroup_unavailable = "cannot move the command into " + cgroup.dir;
      cgroup.Remove();
      cgroup.dir.clear();
    }
    if (Status s = p.Release(); !s.ok()) {
      cgroup.Remove();
      return s;
    }
  }
  const bool duty_cycle = run.method.rfind("SIGSTOP", 0) == 0;
  struct RemoveOnReturn {
    const Cgroup& cgroup;
    ~RemoveOnReturn() { cgroup.Remove(); }
  } remove_cgroup{cgroup};
  Continuer group{p.pid()};
  GroupCpu members(p.pid());
  auto group_cpu = [&] { return cgroup.dir.empty() ? members.Seconds() : cgroup.CpuSeconds(); };

  Clock& clock = LoopClock();
  const double start = clock.Now();
  const double window = o.sample_s;
  double cpu_last = group_cpu(), cpu_window = cpu_last;
  double joules_window = 0;
  if (o.source != nullptr) {
    auto j = o.source->Joules();
    if (!j.ok()) return j.status();
    joules_window = *j;
  }
  auto window_start = start;
  double tick_watts = m.Watts(1.0 / cpus, 0);  // a first guess of the running power
  std::optional<ExitInfo> exit;
  std::optional<double> cancelled;
  while (!exit) {
    const double tick_start = clock.Now();
    clock.Sleep(kTick);
    if (o.interrupted && o.interrupted() && !cancelled) {
      group.Continue();
      kill(-p.pid(), SIGTERM);
      cancelled = tick_start;
    } else if (cancelled && tick_start - *cancelled > 5) {
      kill(-p.pid(), SIGKILL);  // it did not end on SIGTERM
    }
    auto polled = p.Poll();
    if (!polled.ok()) return polled.status();
    if (*polled) exit = **polled;

    const double now = clock.Now();
    // CPU time can only grow; a member reaped by no one takes its time along.
    const double cpu_now = std::max(cpu_last, group_cpu());
    const double in_window = now - window_start;
    double joules = 0;
    if (o.source != nullptr) {
      auto j = o.source->Joules();
      if (!j.ok()) return j.status();
      joules = *j - joules_window;
    } else {
      joules = m.p_idle_w * in_window + m.c_cpu_w_per_util * (cpu_now - cpu_window) / cpus;
    }
    if (!group.stopped) {
      const double dt = now - tick_start;
      if (dt > 0) {
        tick_watts = m.Watts(std::min(1.0, (cpu_now - cpu_last) / dt / cpus), 0);
      }
    }
    cpu_last = cpu_now;
    // Stop the group for the rest of the sample once one more tick, and the
    // idle power for what then remains of it, would take the sample's
    // energy past the budget.
    const double rest = std::max(0.0, o.sample_s - in_window - kTick);
    if (duty_cycle && !exit && !group.stopped &&
        joules + tick_watts * kTick + m.p_idle_w * rest > o.budget_w * o.sample_s * kAim) {
      group.Stop();
    }
    if (now - window_start >= window || exit) {
      run.joules += joules;
      if (in_window > o.sample_s / 4) {  // a last sliver is not a sample
        PowerSample s;
        s.t_s = now - start;
        s.watts = joules / in_window;
        s.u = (cpu_now - cpu_window) / in_window / cpus;
        run.samples.push_back(s);
        run.peak_w = std::max(run.peak_w, s.watts);
        if (o.budget_w > 0 && s.watts > o.budget_w) ++run.samples_over;
      }
      group.Continue();
      window_start = now;
      cpu_window = cpu_now;
      if (o.source != nullptr) joules_window += joules;
    }
  }
  group.Continue();
  run.exit = *exit;
  run.seconds = clock.Now() - start;
  run.mean_w = run.seconds > 0 ? run.joules / run.seconds : 0;
  if (cancelled) return Status::Cancelled("interrupted");
  return run;
}

}  // namespace perfkit::power
