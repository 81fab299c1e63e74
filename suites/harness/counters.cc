#include "suites/harness/counters.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "subsystems/base/machine.h"
#include "subsystems/profiler/event.h"

namespace perfkit::harness {
namespace {

bool HasCpuPmu() { return ThisMachine().Exists("/sys/bus/event_source/devices/cpu"); }

// "perf::cycles:u" -> "cycles": what the derived ratios look for.
std::string BaseName(std::string name) {
  if (const size_t colons = name.find("::"); colons != std::string::npos) name.erase(0, colons + 2);
  if (const size_t colon = name.find(':'); colon != std::string::npos) name.erase(colon);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

int OpenEvent(perf_event_attr* attr, int group_fd) {
  return static_cast<int>(
      syscall(__NR_perf_event_open, attr, 0, -1, group_fd, PERF_FLAG_FD_CLOEXEC));
}

}  // namespace

const std::vector<std::string>& DefaultCounters() {
  static const std::vector<std::string> names = {
      "cycles", "instructions", "branches", "branch-misses", "cache-references", "cache-misses"};
  return names;
}

// Task-clock and friends always come along: they are what a machine
// without a PMU can still say about a benchmark.
Result<std::unique_ptr<CounterGroup>> CounterGroup::Open(const std::vector<std::string>& names) {
  std::unique_ptr<CounterGroup> group(new CounterGroup);
  std::vector<std::string> all = names;
  for (const char* soft : {"task-clock", "context-switches", "cpu-migrations", "page-faults"}) {
    bool present = false;
    for (const std::string& n : names) present |= BaseName(n) == soft;
    if (!present) all.push_back(soft);
  }
  for (const std::string& name : all) {
    auto attr = profiler::ResolveEvent(name);
    if (!attr.ok()) return Status::Error("--counters: " + attr.error());
    const bool software = attr->type == PERF_TYPE_SOFTWARE;
    group->Add(software ? group->software_ : group->hardware_, name, *attr);
  }
  return group;
}

void CounterGroup::Add(Group& group, const std::string& name, perf_event_attr attr) {
  attr.size = sizeof attr;
  attr.inherit = 1;
  attr.read_format =
      PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  attr.disabled = group.leader < 0 ? 1 : 0;
  int fd = OpenEvent(&attr, group.leader);
  if (fd < 0 && (errno == EACCES || errno == EPERM)) {
    attr.exclude_kernel = 1;  // what perf_event_paranoid 2 allows
    attr.exclude_hv = 1;
    fd = OpenEvent(&attr, group.leader);
  }
  if (fd < 0) {
    const int err = errno;
    const bool no_pmu = (err == ENOENT || err == ENODEV || err == EOPNOTSUPP) && !HasCpuPmu();
    unsupported_.push_back(name + ": not supported (" +
                           (no_pmu ? std::string("no CPU PMU") : std::strerror(err)) + ")");
    return;
  }
  if (group.leader < 0) group.leader = fd;
  group.fds.push_back(fd);
  group.names.push_back(name);
}

CounterGroup::~CounterGroup() {
  for (const Group* g : {&hardware_, &software_}) {
    for (int fd : g->fds) close(fd);
  }
}

void CounterGroup::Start() {
  for (const Group* g : {&hardware_, &software_}) {
    if (g->leader < 0) continue;
    ioctl(g->leader, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
    ioctl(g->leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
  }
}

void CounterGroup::Read(const Group& group, bool report_scaling, benchmark::State& state) {
  if (group.leader < 0) return;
  ioctl(group.leader, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
  std::vector<uint64_t> buf(3 + group.fds.size());
  if (read(group.leader, buf.data(), buf.size() * 8) < static_cast<ssize_t>(3 * 8)) return;
  const uint64_t enabled = buf[1], running = buf[2];
  // Like perf stat: a group that ran part of the time is scaled up to the
  // whole, and the share it ran is reported beside it.
  const double scale = running > 0 ? static_cast<double>(enabled) / running : 0;
  const auto per_iteration = benchmark::Counter::kAvgIterations;
  for (size_t i = 0; i < group.fds.size() && i < buf[0]; ++i) {
    double value = static_cast<double>(buf[3 + i]) * scale;
    if (BaseName(group.names[i]) == "task-clock") {
      state.counters["task-clock-ns"] = benchmark::Counter(value, per_iteration);
      continue;
    }
    state.counters[group.names[i]] = benchmark::Counter(value, per_iteration);
  }
  if (report_scaling && enabled > 0) {
    state.counters["counters-running-pct"] = 100.0 * running / enabled;
  }
}

void CounterGroup::Stop(benchmark::State& state) {
  Read(hardware_, true, state);
  Read(software_, false, state);
  std::map<std::string, double> by_base;
  for (const auto& [name, counter] : state.counters) by_base[BaseName(name)] = counter.value;
  auto ratio = [&](const char* key, const char* num, const char* den, double factor) {
    if (by_base.count(num) && by_base.count(den) && by_base[den] > 0) {
      state.counters[key] = factor * by_base[num] / by_base[den];
    }
  };
  ratio("ipc", "instructions", "cycles", 1);
  ratio("branch-miss-pct", "branch-misses", "branches", 100);
  ratio("cache-miss-pct", "cache-misses", "cache-references", 100);
}

}  // namespace perfkit::harness
