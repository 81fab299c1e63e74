#include "cli/static_tls.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "subsystems/base/self_path.h"

namespace perfkit::cli {
namespace {

constexpr char kTunable[] = "glibc.rtld.optional_static_tls";
constexpr char kSaved[] = "PERFKIT_GLIBC_TUNABLES_BEFORE";
constexpr char kUnset[] = "-";  // marks "GLIBC_TUNABLES was not set"

}  // namespace

void ReserveStaticTlsForPeers(char** argv) {
  if (const char* saved = std::getenv(kSaved)) {
    // The re-executed process: the loader has read the tunable already.
    if (std::string_view(saved) == kUnset) {
      unsetenv("GLIBC_TUNABLES");
    } else {
      setenv("GLIBC_TUNABLES", saved, 1);
    }
    unsetenv(kSaved);
    return;
  }
  if (argv[0] == nullptr || argv[1] == nullptr || std::string_view(argv[1]) != "bench") return;
  const char* old = std::getenv("GLIBC_TUNABLES");
  if (old != nullptr && std::strstr(old, kTunable) != nullptr) return;
  std::string value = old != nullptr && *old != '\0' ? std::string(old) + ":" : "";
  value += std::string(kTunable) + "=16384";
  setenv(kSaved, old != nullptr ? old : kUnset, 1);
  setenv("GLIBC_TUNABLES", value.c_str(), 1);
  // The real path, not /proc/self/exe, so the process keeps its name
  // (profiles and ps would call it "exe").
  const std::string self = SelfExecutable();
  if (!self.empty()) execv(self.c_str(), argv);
  // exec failed: run as we are; the slab suite skips jemalloc with the reason.
  unsetenv(kSaved);
  if (old != nullptr) {
    setenv("GLIBC_TUNABLES", old, 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
}

}  // namespace perfkit::cli
