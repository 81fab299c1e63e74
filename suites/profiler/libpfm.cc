#include "suites/profiler/libpfm.h"

#include <dlfcn.h>

#include <mutex>

namespace perfkit::profiler {

namespace {

struct Loaded {
  Libpfm lib{};
  bool ok = false;
  std::string why;
};

template <typename F>
bool Resolve(void* handle, const char* name, F* out, std::string* why) {
  *out = reinterpret_cast<F>(dlsym(handle, name));
  if (*out == nullptr) *why = std::string("libpfm.so.4 has no ") + name;
  return *out != nullptr;
}

Loaded Load() {
  Loaded l;
  // Never closed: the library stays for the life of the process.
  void* h = dlopen("libpfm.so.4", RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* err = dlerror();
    l.why = std::string("libpfm4 cannot be loaded (") + (err != nullptr ? err : "?") +
            "; apt-get install libpfm4)";
    return l;
  }
  Libpfm& p = l.lib;
  if (!Resolve(h, "pfm_initialize", &p.initialize, &l.why) ||
      !Resolve(h, "pfm_strerror", &p.strerror, &l.why) ||
      !Resolve(h, "pfm_get_os_event_encoding", &p.get_os_event_encoding, &l.why) ||
      !Resolve(h, "pfm_get_pmu_info", &p.get_pmu_info, &l.why) ||
      !Resolve(h, "pfm_get_event_next", &p.get_event_next, &l.why) ||
      !Resolve(h, "pfm_get_event_info", &p.get_event_info, &l.why)) {
    return l;
  }
  if (const int rc = p.initialize(); rc != PFM_SUCCESS) {
    l.why = std::string("libpfm4: ") + p.strerror(rc);
    return l;
  }
  l.ok = true;
  return l;
}

}  // namespace

const Libpfm* LoadLibpfm(std::string* why) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = Load(); });
  if (!loaded.ok) {
    if (why != nullptr) *why = loaded.why;
    return nullptr;
  }
  return &loaded.lib;
}

}  // namespace perfkit::profiler
