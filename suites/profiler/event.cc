#include "suites/profiler/event.h"

#include <perfmon/pfmlib_perf_event.h>

#include <cstring>
#include <mutex>

namespace perfkit::profiler {

Result<perf_event_attr> ResolveEvent(const std::string& name) {
  static std::once_flag once;
  static int init = PFM_SUCCESS;
  std::call_once(once, [] { init = pfm_initialize(); });
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

}  // namespace perfkit::profiler
