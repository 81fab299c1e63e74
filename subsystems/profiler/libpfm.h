// libpfm4, loaded on first use. Its event tables are a megabyte of pointers
// that the dynamic loader would relocate at every start of perfkit, even for
// `perfkit --version`; only the commands that name events need them.
#pragma once

#include <perfmon/pfmlib_perf_event.h>

#include <string>

namespace perfkit::profiler {

struct Libpfm {
  decltype(&pfm_initialize) initialize;
  decltype(&pfm_strerror) strerror;
  decltype(&pfm_get_os_event_encoding) get_os_event_encoding;
  decltype(&pfm_get_pmu_info) get_pmu_info;
  decltype(&pfm_get_event_next) get_event_next;
  decltype(&pfm_get_event_info) get_event_info;
};

// The library, loaded and initialised once; nullptr with the reason in *why
// when it is missing or pfm_initialize fails.
const Libpfm* LoadLibpfm(std::string* why);

}  // namespace perfkit::profiler
