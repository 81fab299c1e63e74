#include "app/glibc_tunables.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "subsystems/base/cpu_features.h"
#include "subsystems/base/self_path.h"

namespace perfkit::app {
namespace {

constexpr std::string_view kStaticTls = "glibc.rtld.optional_static_tls";
constexpr std::string_view kHwcaps = "glibc.cpu.hwcaps";
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
  const char* saved = std::getenv(kSaved);
  if (saved == nullptr) return;
  // The re-executed process: the loader has read the tunables already.
  const std::string_view before = std::string_view(saved) == kUnset ? "" : saved;
  const std::string hwcaps = GlibcHwcapsHiding(DisabledCpuFeatures());
  if (!hwcaps.empty() && before.find(kHwcaps) == std::string_view::npos) {
    fmt::print(stderr, "perfkit: glibc's string functions chosen as on a CPU without {} ({}={})\n",
               DisabledCpuFeatures(), kHwcaps, hwcaps);
  }
  Restore(saved);
  unsetenv(kSaved);
  g_reexecuted = true;
}

std::string GlibcHwcapsHiding(std::string_view disabled) {
  // glibc's memcpy and memset take their AVX2 code on AVX_Fast_Unaligned_Load,
  // not on AVX2 (2.36), and their EVEX code on AVX512VL and AVX512BW.
  const std::pair<std::string_view, std::vector<std::string_view>> hides[] = {
      {"avx", {"AVX"}},
      {"avx2", {"AVX2", "AVX_Fast_Unaligned_Load"}},
      {"avx512f", {"AVX512F", "AVX512VL", "AVX512BW", "AVX512DQ", "AVX512CD"}},
      {"avx512bw", {"AVX512BW"}},
      {"avx512vl", {"AVX512VL"}},
      {"bmi2", {"BMI2"}},
      {"erms", {"ERMS"}},
      {"fsrm", {"FSRM"}},
      {"sse4.2", {"SSE4_2"}},
  };
  // The first three each hide the next too: a CPU without AVX has no AVX2,
  // one without AVX2 no AVX-512.
  constexpr size_t kChained = 3;
  std::vector<std::string_view> names;
  bool previous = false;
  for (size_t i = 0; i < std::size(hides); ++i) {
    const auto& [feature, glibc] = hides[i];
    bool hidden = NamesCpuFeature(disabled, feature);
    if (i < kChained) previous = hidden = hidden || previous;
    if (!hidden) continue;
    for (std::string_view name : glibc) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::string out;
  for (std::string_view name : names) out += std::string(out.empty() ? "-" : ",-") += name;
  return out;
}

std::string ExtendedTunables(const char* existing, size_t static_tls_bytes,
                             std::string_view disabled) {
  const std::string_view old = existing != nullptr ? existing : "";
  std::vector<std::string> add;
  if (static_tls_bytes > 0 && old.find(kStaticTls) == std::string_view::npos) {
    add.push_back(std::string(kStaticTls) + "=" + std::to_string(static_tls_bytes));
  }
  const std::string hwcaps = GlibcHwcapsHiding(disabled);
  if (!hwcaps.empty() && old.find(kHwcaps) == std::string_view::npos) {
    add.push_back(std::string(kHwcaps) + "=" + hwcaps);
  }
  if (add.empty()) return "";
  std::string value(old);
  for (const std::string& a : add) value += (value.empty() ? "" : ":") + a;
  return value;
}

void ReexecuteForGlibc(const std::vector<const suites::SuiteEntry*>& suites) {
  if (suites.empty() || g_argv == nullptr || g_reexecuted) return;
  size_t static_tls = 0;
  for (const suites::SuiteEntry* s : suites) static_tls = std::max(static_tls, s->static_tls_bytes);
  const char* old = std::getenv("GLIBC_TUNABLES");
  const std::string value = ExtendedTunables(old, static_tls, DisabledCpuFeatures());
  if (value.empty()) return;
  setenv(kSaved, old != nullptr ? old : kUnset, 1);
  setenv("GLIBC_TUNABLES", value.c_str(), 1);
  // The real path, not /proc/self/exe, so the process keeps its name
  // (profiles and ps would call it "exe").
  const std::string self = SelfExecutable();
  if (!self.empty()) execv(self.c_str(), g_argv);
  // exec failed: run as we are; the suite skips a peer needing static TLS
  // with the reason, and glibc keeps this CPU's code.
  unsetenv(kSaved);
  Restore(old != nullptr ? old : kUnset);
}

}  // namespace perfkit::app
