#include "suites/profiler/event.h"

#include <perfmon/pfmlib_perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

namespace perfkit::profiler {

namespace {

int Initialize() {
  static std::once_flag once;
  static int init = PFM_SUCCESS;
  std::call_once(once, [] { init = pfm_initialize(); });
  return init;
}

}  // namespace

Result<perf_event_attr> ResolveEvent(const std::string& name) {
  const int init = Initialize();
  if (init != PFM_SUCCESS) return Status::Error(std::string("libpfm4: ") + pfm_strerror(init));
  perf_event_attr attr{};
  pfm_perf_encode_arg_t arg{};
  arg.attr = &attr;
  arg.size = sizeof arg;
  const int rc =
      pfm_get_os_event_encoding(name.c_str(), PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
  if (rc != PFM_SUCCESS) {
    return Status::Error("unknown event '" + name + "' (libpfm4: " + pfm_strerror(rc) +
                         "; `perfkit list events` lists them)");
  }
  attr.size = sizeof attr;
  return attr;
}

perf_event_attr TaskClock() {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  return attr;
}

std::vector<EventInfo> ListEvents() {
  std::vector<EventInfo> events;
  if (Initialize() != PFM_SUCCESS) return events;
  for (int pmu = PFM_PMU_NONE; pmu < PFM_PMU_MAX; ++pmu) {
    pfm_pmu_info_t pinfo{};
    pinfo.size = sizeof pinfo;
    if (pfm_get_pmu_info(static_cast<pfm_pmu_t>(pmu), &pinfo) != PFM_SUCCESS || !pinfo.is_present) {
      continue;
    }
    for (int idx = pinfo.first_event; idx != -1; idx = pfm_get_event_next(idx)) {
      pfm_event_info_t einfo{};
      einfo.size = sizeof einfo;
      if (pfm_get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &einfo) != PFM_SUCCESS) continue;
      EventInfo e;
      e.name = std::string(pinfo.name) + "::" + einfo.name;
      e.description = einfo.desc != nullptr ? einfo.desc : "";
      if (auto attr = ResolveEvent(e.name); attr.ok()) {
        perf_event_attr a = *attr;
        a.exclude_kernel = 1;  // what perf_event_paranoid 2 allows
        a.exclude_hv = 1;
        a.disabled = 1;
        const long fd = syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
        e.opens = fd >= 0;
        if (fd >= 0) close(static_cast<int>(fd));
      }
      events.push_back(std::move(e));
    }
  }
  return events;
}

}  // namespace perfkit::profiler
