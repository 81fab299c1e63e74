#include "subsystems/profiler/libpfm.h"

#include "subsystems/base/shared_library.h"

namespace perfkit::profiler {

const Libpfm* LoadLibpfm(std::string* why) {
  // A function-local static: loaded and initialised once, thread-safely.
  static const struct Loaded {
    Libpfm lib{};
    std::string why;
    Loaded() {
      SharedLibrary so("libpfm.so.4", "libpfm4");
      Libpfm& p = lib;
      if (!so.Resolve("pfm_initialize", &p.initialize) ||
          !so.Resolve("pfm_strerror", &p.strerror) ||
          !so.Resolve("pfm_get_os_event_encoding", &p.get_os_event_encoding) ||
          !so.Resolve("pfm_get_pmu_info", &p.get_pmu_info) ||
          !so.Resolve("pfm_get_event_next", &p.get_event_next) ||
          !so.Resolve("pfm_get_event_info", &p.get_event_info)) {
        why = so.why();
      } else if (const int rc = p.initialize(); rc != PFM_SUCCESS) {
        why = std::string("libpfm4: ") + p.strerror(rc);
      }
    }
  } loaded;
  if (!loaded.why.empty()) {
    if (why != nullptr) *why = loaded.why;
    return nullptr;
  }
  return &loaded.lib;
}

}  // namespace perfkit::profiler
