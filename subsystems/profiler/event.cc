#include "subsystems/profiler/event.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "subsystems/profiler/libpfm.h"

namespace perfkit::profiler {

Result<perf_event_attr> ResolveEvent(const std::string& name) {
  std::string why;
  const Libpfm* pfm = LoadLibpfm(&why);
  if (pfm == nullptr) return Status::Error(why);
  perf_event_attr attr{};
  pfm_perf_encode_arg_t arg{};
  arg.attr = &attr;
  arg.size = sizeof arg;
  const int rc =
      pfm->get_os_event_encoding(name.c_str(), PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
  if (rc != PFM_SUCCESS) {
    return Status::Error("unknown event '" + name + "' (libpfm4: " + pfm->strerror(rc) +
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
  const Libpfm* pfm = LoadLibpfm(nullptr);
  if (pfm == nullptr) return events;
  for (int pmu = PFM_PMU_NONE; pmu < PFM_PMU_MAX; ++pmu) {
    pfm_pmu_info_t pinfo{};
    pinfo.size = sizeof pinfo;
    if (pfm->get_pmu_info(static_cast<pfm_pmu_t>(pmu), &pinfo) != PFM_SUCCESS ||
        !pinfo.is_present) {
      continue;
    }
    for (int idx = pinfo.first_event; idx != -1; idx = pfm->get_event_next(idx)) {
      pfm_event_info_t einfo{};
      einfo.size = sizeof einfo;
      if (pfm->get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &einfo) != PFM_SUCCESS) continue;
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
