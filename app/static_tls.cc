#include "app/static_tls.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "subsystems/base/self_path.h"

namespace perfkit::app {
namespace {

constexpr char kTunable[] = "glibc.rtld.optional_static_tls";
constexpr char kSaved[] = "PERFKIT_GLIBC_TUNABLES_BEFORE";
constexpr char kUnset[] = "-";  // marks "GLIBC_TUNABLES was not set"

char** g_argv = nullptr;
bool g_reexecuted = false;

void Restore(const char* saved) {
  if (saved == nullptr || std::string_view(saved) == kUnset) {
    unsetenv("GLIBC_TUNABLES");
  } else {
    setenv("GLIBC_TUNABLES", saved, 1);
  }
}

}  // namespace

void EnableReexecution(char** argv) {
  g_argv = argv;
  if (const char* saved = std::getenv(kSaved)) {
    // The re-executed process: the loader has read the tunable already.
    Restore(saved);
    unsetenv(kSaved);
    g_reexecuted = true;
  }
}

void ReserveStaticTls(const std::vector<const suites::SuiteEntry*>& suites) {
  size_t needed = 0;
  for (const suites::SuiteEntry* s : suites) needed = std::max(needed, s->static_tls_bytes);
  if (needed == 0 || g_argv == nullptr || g_reexecuted) return;
  const char* old = std::getenv("GLIBC_TUNABLES");
  if (old != nullptr && std::strstr(old, kTunable) != nullptr) return;
  std::string value = old != nullptr && *old != '\0' ? std::string(old) + ":" : "";
  value += std::string(kTunable) + "=" + std::to_string(needed);
  setenv(kSaved, old != nullptr ? old : kUnset, 1);
  setenv("GLIBC_TUNABLES", value.c_str(), 1);
  // The real path, not /proc/self/exe, so the process keeps its name
  // (profiles and ps would call it "exe").
  const std::string self = SelfExecutable();
  if (!self.empty()) execv(self.c_str(), g_argv);
  // exec failed: run as we are; the suite skips the peer with the reason.
  unsetenv(kSaved);
  Restore(old != nullptr ? old : kUnset);
}

}  // namespace perfkit::app
