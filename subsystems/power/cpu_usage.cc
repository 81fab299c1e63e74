#include "subsystems/power/cpu_usage.h"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace perfkit::power {

Result<CpuTicks> ReadCpuTicks() {
  std::ifstream in("/proc/stat");
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
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream in(dir + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream f(text.substr(paren + 2));
  std::string state;
  long ppid = 0, group = 0;
  f >> state >> ppid >> group;
  if (group != pgid) return std::nullopt;
  uint64_t skip = 0, utime = 0, stime = 0, cutime = 0, cstime = 0;
  for (int i = 0; i < 8; ++i) f >> skip;  // session, tty, tpgid, flags and the fault counts
  f >> utime >> stime >> cutime >> cstime;
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

double UnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace perfkit::power
