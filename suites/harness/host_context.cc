#include "suites/harness/host_context.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "build_info.h"
#include "subsystems/base/cpu_caches.h"
#include "subsystems/base/cpu_features.h"
#include "subsystems/base/machine.h"
#include "subsystems/platform/hugepages.h"
#include "subsystems/platform/timing.h"
#include "subsystems/profiler/libpfm.h"
#include "subsystems/profiler/perf_session.h"
#include "suites/harness/runner.h"

namespace perfkit::harness {
namespace {

constexpr const char* kUnavailable = "unavailable";

// "key\t: value" lines of the first processor block in /proc/cpuinfo.
std::string CpuinfoField(const Machine& m, const std::string& key) {
  std::ifstream in(m.Path("/proc/cpuinfo"));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) break;
    if (line.compare(0, key.size(), key) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t start = line.find_first_not_of(' ', colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return {};
}

void ReadCpuIdentity(const Machine& m, HostContext& h) {
  h.cpu_vendor = CpuinfoField(m, "vendor_id");
  h.cpu_model = CpuinfoField(m, "model name");
  h.cpu_family = std::atoi(CpuinfoField(m, "cpu family").c_str());
  h.cpu_model_number = std::atoi(CpuinfoField(m, "model").c_str());
  h.cpu_stepping = std::atoi(CpuinfoField(m, "stepping").c_str());
  if (h.cpu_model.empty()) h.cpu_model = CpuinfoField(m, "CPU part");  // aarch64
}

void ReadFeatures(const Machine& m, HostContext& h) {
  const CpuFeatures f = m.live() ? GetCpuFeatures() : ReadCpuFeatures(m);
  const std::pair<const char*, bool> flags[] = {
      {"sse2", f.sse2},
      {"sse4.2", f.sse42},
      {"avx", f.avx},
      {"avx2", f.avx2},
      {"avx512f", f.avx512f},
      {"avx512bw", f.avx512bw},
      {"avx512vl", f.avx512vl},
      {"pclmulqdq", f.pclmulqdq},
      {"vpclmulqdq", f.vpclmulqdq},
      {"bmi2", f.bmi2},
      {"erms", f.erms},
      {"fsrm", f.fsrm},
      {"neon", f.neon},
      {"sve", f.sve},
  };
  for (const auto& [name, present] : flags) {
    if (present) h.cpu_features.emplace_back(name);
  }
}

// "0-1,4" as in /sys/devices/system/cpu/online: how many CPUs it names.
int CountCpuList(const std::string& list) {
  int n = 0;
  std::istringstream in(list);
  for (std::string range; std::getline(in, range, ',');) {
    int first = 0, last = 0;
    const int got = std::sscanf(range.c_str(), "%d-%d", &first, &last);
    if (got == 1) ++n;
    if (got == 2 && last >= first) n += last - first + 1;
  }
  return n;
}

void ReadTopology(const Machine& m, HostContext& h) {
  h.logical_cpus = CountCpuList(m.ReadLine("/sys/devices/system/cpu/online"));
  if (h.logical_cpus == 0 && m.live()) {
    h.logical_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  }
  std::set<std::string> cores;
  for (int cpu = 0; cpu < h.logical_cpus; ++cpu) {
    const std::string topo = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    const std::string package = m.ReadLine(topo + "physical_package_id");
    const std::string core = m.ReadLine(topo + "core_id");
    if (!package.empty() || !core.empty()) cores.insert(package + ":" + core);
  }
  h.physical_cores = cores.empty() ? h.logical_cpus : static_cast<int>(cores.size());
  h.smt = h.logical_cpus > h.physical_cores;
  for (const std::string& name : m.ListDir("/sys/devices/system/node")) {
    if (name.rfind("node", 0) == 0 && name.size() > 4 && std::isdigit(name[4])) ++h.numa_nodes;
  }
}

// CPUID first, /sys where CPUID is silent (cpu_caches.h).
void ReadCaches(const Machine& m, HostContext& h) {
  const CpuCaches caches = m.live() ? DetectCaches() : DetectCaches(m);
  for (const CacheLevel& c : caches.caches) h.cache_bytes[c.name] = c.bytes;
  h.cache_line_bytes = caches.LineBytes();
  h.cache_source = caches.source.empty() ? kUnavailable : caches.source;
  h.cache_note = caches.mismatch;
  // One line per structure and size: "L1 dTLB 4K/2M: 72 entries".
  std::vector<std::pair<std::string, std::string>> tlbs;  // (name+entries, pages)
  for (const TlbLevel& t : caches.tlbs) {
    const std::string key = t.name + "|" + std::to_string(t.entries);
    auto it = std::find_if(tlbs.begin(), tlbs.end(), [&](const auto& p) { return p.first == key; });
    if (it == tlbs.end()) {
      tlbs.emplace_back(key, t.page);
    } else {
      it->second += "/" + t.page;
    }
  }
  for (const auto& [key, pages] : tlbs) {
    const size_t bar = key.find('|');
    h.tlbs.push_back(key.substr(0, bar) + " " + pages + ": " + key.substr(bar + 1) + " entries");
  }
}

// 7 x 1000 PAUSEs: under a millisecond even where one costs 140 cycles.
void MeasurePause(HostContext& h) {
  const platform::PauseCost pause = platform::MeasurePause(1000);
  h.pause_cycles = pause.tsc_cycles;
  h.pause_ns = pause.ns;
}

void ReadMemoryKnobs(const Machine& m, HostContext& h) {
  for (const platform::HugePageSize& s : platform::ReadHugePages(m.Path("/"))) {
    const std::string size = std::to_string(s.bytes / 1024) + "kB";
    h.huge_page_sizes.push_back(size);
    h.huge_pages_reserved[size] = s.reserved;
    h.huge_pages_free[size] = s.free;
  }
  h.thp_mode = platform::TransparentHugePageMode(m.Path("/"));
  const std::string aslr = m.ReadLine("/proc/sys/kernel/randomize_va_space");
  h.aslr = aslr == "0" ? "off" : aslr == "1" ? "partial" : aslr == "2" ? "on" : kUnavailable;
}

std::string Hypervisor(const Machine& m, bool cpuid_flag) {
  // Leaf 0x40000000 is the hypervisor's, whatever the CPU's highest leaf.
  auto regs = cpuid_flag ? m.Cpuid(0x40000000, 0) : std::nullopt;
  if (regs) {
    char vendor[13] = {};
    std::memcpy(vendor, &regs->ebx, 4);
    std::memcpy(vendor + 4, &regs->ecx, 4);
    std::memcpy(vendor + 8, &regs->edx, 4);
    std::string v(vendor);
    if (v == "KVMKVMKVM") return "KVM";
    if (v == "Microsoft Hv") return "Hyper-V";
    if (v == "VMwareVMware") return "VMware";
    if (v == "XenVMMXenVMM") return "Xen";
    if (v == "TCGTCGTCGTCG") return "QEMU TCG";
    return v.empty() ? "unknown hypervisor" : v;
  }
  const std::string dmi = m.ReadLine("/sys/class/dmi/id/sys_vendor");
  if (dmi.find("QEMU") != std::string::npos) return "QEMU";
  return {};
}

void ReadFrequencyPolicy(const Machine& m, HostContext& h) {
  h.governor = m.ReadLine("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  if (h.governor.empty()) h.governor = kUnavailable;
  const std::string boost = m.ReadLine("/sys/devices/system/cpu/cpufreq/boost");
  const std::string no_turbo = m.ReadLine("/sys/devices/system/cpu/intel_pstate/no_turbo");
  if (!boost.empty()) {
    h.boost = boost == "1" ? "on" : "off";
  } else if (!no_turbo.empty()) {
    h.boost = no_turbo == "0" ? "on" : "off";
  } else {
    h.boost = kUnavailable;
  }
}

// The PMU models libpfm4 recognises from CPUID; on a VM this says nothing
// about what the hypervisor lets us open.
std::string PfmDetectedPmus() {
  const profiler::Libpfm* pfm = profiler::LoadLibpfm(nullptr);
  if (pfm == nullptr) return {};
  std::string names;
  for (int pmu = PFM_PMU_NONE + 1; pmu < PFM_PMU_MAX; ++pmu) {
    pfm_pmu_info_t info{};
    info.size = sizeof(info);
    if (pfm->get_pmu_info(static_cast<pfm_pmu_t>(pmu), &info) != PFM_SUCCESS) continue;
    if (!info.is_present || info.type != PFM_PMU_TYPE_CORE) continue;
    names += (names.empty() ? "" : ", ") + std::string(info.name);
  }
  return names;
}

// Only an opened counter proves a PMU: libpfm4 and CPUID describe the CPU,
// not what the hypervisor exposes.
void ProbePmu(const Machine& m, HostContext& h) {
  h.perf_event_paranoid = profiler::PerfEventParanoid(m).value_or(99);
  const bool cpu_pmu = m.Exists("/sys/bus/event_source/devices/cpu") ||
                       m.Exists("/sys/bus/event_source/devices/cpu_core");
  if (!m.live()) {
    h.pmu_detail = cpu_pmu ? "not probed (a replayed machine)"
                           : "not probed (no CPU PMU in /sys/bus/event_source/devices)";
    return;
  }
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_CPU_CYCLES;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  const long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  if (fd >= 0) {
    close(static_cast<int>(fd));
    h.hardware_pmu = true;
    h.pmu_detail = "cycles counter opens";
    return;
  }
  const int err = errno;
  h.hardware_pmu = false;
  h.pmu_detail = std::string("cycles counter does not open: ") + std::strerror(err);
  if (!cpu_pmu) h.pmu_detail += " (no CPU PMU in /sys/bus/event_source/devices)";
  if (const std::string pfm = PfmDetectedPmus(); !pfm.empty()) {
    h.pmu_detail += "; libpfm4 knows the CPU as " + pfm;
  }
}

std::string Fingerprint(const HostContext& h) {
  std::ostringstream key;
  key << h.cpu_vendor << '|' << h.cpu_model << '|' << h.cpu_family << '|' << h.cpu_model_number
      << '|' << h.cpu_stepping << '|' << h.logical_cpus << '|' << h.physical_cores << '|'
      << h.numa_nodes << '|' << h.kernel;
  for (const auto& f : h.cpu_features) key << '|' << f;
  for (const auto& [k, v] : h.cache_bytes) key << '|' << k << '=' << v;
  uint64_t hash = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char c : key.str()) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

// What the fingerprint is made of: read from the machine, never measured.
void ReadIdentity(const Machine& m, HostContext& h) {
  ReadCpuIdentity(m, h);
  ReadFeatures(m, h);
  ReadTopology(m, h);
  ReadCaches(m, h);
  ReadMemoryKnobs(m, h);
  const std::string release = m.ReadLine("/proc/sys/kernel/osrelease");
  if (!release.empty()) h.kernel = "Linux " + release;
  utsname u{};
  if (m.live() && h.kernel.empty() && uname(&u) == 0) {
    h.kernel = std::string(u.sysname) + " " + u.release;
  }
}

}  // namespace

HostContext ReadHostContext() { return ReadHostContext(ThisMachine()); }

std::string HostFingerprint() {
  HostContext h;
  ReadIdentity(ThisMachine(), h);
  return Fingerprint(h);
}

HostContext ReadHostContext(const Machine& m) {
  HostContext h;
  ReadIdentity(m, h);
  const bool hypervisor_flag = m.Cpuid(1, 0) && (m.Cpuid(1, 0)->ecx & (1u << 31));
  h.hypervisor = Hypervisor(m, hypervisor_flag);
  ReadFrequencyPolicy(m, h);
  ProbePmu(m, h);
  // What only the running machine can tell: measured, or its state now.
  if (m.live()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    h.hostname = host;
    MeasurePause(h);
    double load[1] = {0};
    if (getloadavg(load, 1) == 1) h.load_average_1m = load[0];
  }
  h.compiler = PERFKIT_CXX_COMPILER;
  h.build_type = PERFKIT_BUILD_TYPE;
  h.build_flags = PERFKIT_CXX_FLAGS;
  h.benchmark_version = PERFKIT_BENCHMARK_VERSION;
  h.benchmark_build_type = BenchmarkLibraryBuildType();
  h.fingerprint = Fingerprint(h);
  return h;
}

}  // namespace perfkit::harness
