#include "subsystems/power/cpu_usage.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "subsystems/base/process_identity.h"
#include "subsystems/power/sysfs.h"

namespace perfkit::power {

Result<CpuTicks> ReadCpuTicks() {
  // A test's fake tree may stand in for the machine's utilisation too, so
  // its fake meter and the model read the same machine.
  std::string path = UnderRoot("/proc/stat");
  if (access(path.c_str(), R_OK) != 0) path = "/proc/stat";
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line.rfind("cpu ", 0) != 0) {
    return Status::Error("cannot read the cpu line of /proc/stat");
  }
  std::istringstream fields(line.substr(4));
  // user nice system idle iowait irq softirq steal (guest is inside user)
  uint64_t v[8] = {};
  for (uint64_t& x : v) fields >> x;
  CpuTicks t;
  t.busy = v[0] + v[1] + v[2] + v[5] + v[6];
  t.total = t.busy + v[3] + v[4] + v[7];
  return t;
}

double Utilisation(const CpuTicks& before, const CpuTicks& after) {
  if (after.total <= before.total) return 0;
  return static_cast<double>(after.busy - before.busy) /
         static_cast<double>(after.total - before.total);
}

namespace {

// The CPU seconds of one process if it is in group `pgid`, or nullopt.
std::optional<double> MemberCpuSeconds(pid_t pid, pid_t pgid) {
  static const double kTicks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const std::vector<std::string> f = ProcStatFields(pid);
  // Fields 5 (process group) and 14-17 (utime, stime, cutime, cstime).
  if (f.size() < 17 - 2 || std::atol(f[5 - 3].c_str()) != pgid) return std::nullopt;
  auto ticks = [&](int field) { return std::strtoull(f[field - 3].c_str(), nullptr, 10); };
  const uint64_t utime = ticks(14), stime = ticks(15), cutime = ticks(16), cstime = ticks(17);
  const std::string dir = "/proc/" + std::to_string(pid);
  // Its own time to the nanosecond from every thread's schedstat (stat
  // counts in 10 ms ticks, too coarse to hold a budget within 100 ms); the
  // children it waited for only in ticks.
  uint64_t ns = 0;
  bool precise = false;
  if (DIR* tasks = opendir((dir + "/task").c_str())) {
    while (const dirent* t = readdir(tasks)) {
      if (t->d_name[0] == '.') continue;
      std::ifstream sched(dir + "/task/" + t->d_name + "/schedstat");
      uint64_t task_ns = 0;
      if (sched >> task_ns) {
        ns += task_ns;
        precise = true;
      }
    }
    closedir(tasks);
  }
  const double own =
      precise ? static_cast<double>(ns) * 1e-9 : static_cast<double>(utime + stime) / kTicks;
  return own + static_cast<double>(cutime + cstime) / kTicks;
}

}  // namespace

double GroupCpu::Seconds() {
  // Looking for new members means reading all of /proc: every call while a
  // command starts its pipeline, then every 5th (25 ms at a 5 ms tick).
  if (calls_ < 10 || calls_ % 5 == 0) {
    members_.clear();
    if (DIR* proc = opendir("/proc")) {
      while (const dirent* e = readdir(proc)) {
        const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
        if (pid > 0 && MemberCpuSeconds(pid, pgid_)) members_.push_back(pid);
      }
      closedir(proc);
    }
  }
  ++calls_;
  double seconds = 0;
  for (pid_t pid : members_) seconds += MemberCpuSeconds(pid, pgid_).value_or(0);
  return seconds;
}

int OnlineCpus() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double UnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace perfkit::power
