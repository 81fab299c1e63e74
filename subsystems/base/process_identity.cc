#include "subsystems/base/process_identity.h"

#include <unistd.h>

#include <sstream>

#include "subsystems/base/machine.h"

namespace perfkit {
namespace {

// A process's own state is read live, never under PERFKIT_SYSFS_ROOT: a fake
// tree describes a machine, not the processes running on this one.
std::string FirstLine(const std::string& path) { return FirstLineOf(path); }

// Field 22 of /proc/PID/stat.
std::string StartTime(int64_t pid) {
  const std::vector<std::string> fields = ProcStatFields(pid);
  return fields.size() > 22 - 3 ? fields[22 - 3] : "";
}

std::string Hostname() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

std::vector<std::string> ProcStatFields(int64_t pid) {
  const std::string stat = FirstLine("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream in(stat.substr(close + 1));
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

ProcessIdentity CurrentProcess() {
  ProcessIdentity self;
  self.pid = getpid();
  self.start_time = StartTime(self.pid);
  self.boot_id = FirstLine("/proc/sys/kernel/random/boot_id");
  self.hostname = Hostname();
  return self;
}

Liveness CheckLiveness(const ProcessIdentity& who) {
  if (who.pid <= 0 || who.boot_id.empty() || who.hostname != Hostname()) {
    return Liveness::kUnknown;
  }
  if (who.boot_id != FirstLine("/proc/sys/kernel/random/boot_id")) return Liveness::kDead;
  const std::string start = StartTime(who.pid);
  return !start.empty() && start == who.start_time ? Liveness::kAlive : Liveness::kDead;
}

}  // namespace perfkit
