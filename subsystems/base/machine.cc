#include "subsystems/base/machine.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "subsystems/base/cpu_features.h"

#if PERFKIT_X86_64
#include <cpuid.h>
#endif

namespace perfkit {
namespace {

namespace fs = std::filesystem;

std::string UnderRoot(const std::string& root, const std::string& absolute) {
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r.empty() || r == "/" ? absolute : r + absolute;
}

class LiveMachine : public Machine {
 public:
  explicit LiveMachine(std::optional<std::string> root = std::nullopt) : root_(std::move(root)) {}

  std::optional<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf) const override {
#if PERFKIT_X86_64
    if (__get_cpuid_max(leaf & 0xc0000000u, nullptr) < leaf) return std::nullopt;
    CpuidRegs r;
    __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
    return r;
#else
    (void)leaf;
    (void)subleaf;
    return std::nullopt;
#endif
  }

  uint64_t Xcr0() const override {
#if PERFKIT_X86_64
    auto one = Cpuid(1, 0);
    if (!one || !(one->ecx & (1u << 27))) return 0;  // no OSXSAVE: no XGETBV
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
#else
    return 0;
#endif
  }

  std::string Path(const std::string& absolute) const override {
    if (root_) return UnderRoot(*root_, absolute);
    const char* env = std::getenv("PERFKIT_SYSFS_ROOT");
    return UnderRoot(env != nullptr ? env : "/", absolute);
  }

  bool live() const override { return true; }

 private:
  std::optional<std::string> root_;  // unset: $PERFKIT_SYSFS_ROOT, read at each use
};

using Leaves = std::map<std::pair<uint32_t, uint32_t>, CpuidRegs>;

class ReplayedMachine : public Machine {
 public:
  ReplayedMachine(Leaves leaves, std::string root)
      : leaves_(std::move(leaves)), root_(std::move(root)) {}

  std::optional<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf) const override {
    const uint32_t base = leaf & 0xc0000000u;
    auto max = leaves_.find({base, 0});
    if (max == leaves_.end() || max->second.eax < leaf) return std::nullopt;
    // Within range, a subleaf the dump left out reads as zeros, as CPUs
    // answer an invalid subleaf.
    auto it = leaves_.find({leaf, subleaf});
    return it == leaves_.end() ? CpuidRegs{} : it->second;
  }

  // A snapshot has no XGETBV; leaf 0xD names the state components the CPU
  // supports, which Linux enables for user space.
  uint64_t Xcr0() const override {
    auto d = Cpuid(0xd, 0);
    return d ? (static_cast<uint64_t>(d->edx) << 32) | d->eax : 0;
  }

  std::string Path(const std::string& absolute) const override {
    return UnderRoot(root_, absolute);
  }

  bool live() const override { return false; }

 private:
  Leaves leaves_;
  std::string root_;
};

Result<uint32_t> Hex(const std::string& word, const std::string& line) {
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(word.c_str(), &end, 16);
  if (word.rfind("0x", 0) != 0 || *end != '\0' || errno != 0 || v > 0xffffffffu) {
    return Status::Error("not a cpuid -r line: '" + line + "'");
  }
  return static_cast<uint32_t>(v);
}

// "index0/size: 48K" lines into files under ROOT/sys/devices/system/cpu/cpu0/cache.
Status LayOutCaches(const std::string& listing, const fs::path& root) {
  std::istringstream in(listing);
  std::string line;
  const fs::path dir = root / "sys/devices/system/cpu/cpu0/cache";
  while (std::getline(in, line)) {
    const size_t colon = line.find(": ");
    const size_t slash = line.find('/');
    if (colon == std::string::npos || slash == std::string::npos || slash > colon) continue;
    const std::string index = line.substr(0, slash);
    const std::string key = line.substr(slash + 1, colon - slash - 1);
    if (index.rfind("index", 0) != 0 || key.find('/') != std::string::npos ||
        key.find("..") != std::string::npos) {
      return Status::Error("not a cache line: '" + line + "'");
    }
    std::error_code ec;
    fs::create_directories(dir / index, ec);
    std::ofstream(dir / index / key) << line.substr(colon + 2) << "\n";
  }
  return OkStatus();
}

}  // namespace

std::string FirstLineOf(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

Result<std::string> TextOf(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Machine::ReadLine(const std::string& absolute) const {
  return FirstLineOf(Path(absolute));
}

Result<std::string> Machine::ReadText(const std::string& absolute) const {
  return TextOf(Path(absolute));
}

bool Machine::Exists(const std::string& absolute) const {
  std::error_code ec;
  return fs::exists(Path(absolute), ec);
}

std::vector<std::string> Machine::ListDir(const std::string& absolute) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(Path(absolute), ec)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

const Machine& ThisMachine() {
  static const LiveMachine* machine = new LiveMachine;
  return *machine;
}

std::unique_ptr<Machine> RootedMachine(const std::string& root) {
  return std::make_unique<LiveMachine>(root);
}

Result<std::vector<std::pair<std::pair<uint32_t, uint32_t>, CpuidRegs>>> ParseCpuidDump(
    const std::string& text) {
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, CpuidRegs>> out;
  std::istringstream in(text);
  std::string line;
  int cpus = 0;
  while (std::getline(in, line)) {
    if (line.rfind("CPU", 0) == 0) {
      if (++cpus > 1) break;  // the first CPU's leaves only
      continue;
    }
    std::istringstream words(line);
    std::string leaf, sub, a, b, c, d;
    if (!(words >> leaf >> sub >> a >> b >> c >> d)) continue;
    if (sub.empty() || sub.back() != ':' || a.rfind("eax=", 0) != 0 || b.rfind("ebx=", 0) != 0 ||
        c.rfind("ecx=", 0) != 0 || d.rfind("edx=", 0) != 0) {
      return Status::Error("not a cpuid -r line: '" + line + "'");
    }
    sub.pop_back();
    uint32_t v[6];
    const std::string fields[6] = {leaf, sub, a.substr(4), b.substr(4), c.substr(4), d.substr(4)};
    for (int i = 0; i < 6; ++i) {
      auto h = Hex(fields[i], line);
      if (!h.ok()) return h.status();
      v[i] = *h;
    }
    out.push_back({{v[0], v[1]}, CpuidRegs{v[2], v[3], v[4], v[5]}});
  }
  if (out.empty()) return Status::Error("no cpuid leaves (expected the output of cpuid -r -1)");
  return out;
}

Result<std::unique_ptr<Machine>> ReplayMachine(const std::string& snapshot_dir,
                                               const std::string& scratch) {
  auto read = [&](const std::string& name) -> Result<std::string> {
    std::ifstream in(fs::path(snapshot_dir) / name);
    if (!in) return Status::Error("cannot read " + (fs::path(snapshot_dir) / name).string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  auto dump = read("cpuid-raw.txt");
  if (!dump.ok()) return dump.status();
  auto parsed = ParseCpuidDump(*dump);
  if (!parsed.ok()) return parsed.status().WithPrefix(snapshot_dir + "/cpuid-raw.txt: ");
  Leaves leaves(parsed->begin(), parsed->end());
  if (auto caches = read("sys-cpu0-cache.txt"); caches.ok()) {
    if (Status s = LayOutCaches(*caches, scratch); !s.ok()) return s;
  }
  auto put = [&](const std::string& rel, const std::string& text) {
    std::error_code ec;
    fs::create_directories((fs::path(scratch) / rel).parent_path(), ec);
    std::ofstream(fs::path(scratch) / rel) << text;
  };
  if (auto cpuinfo = read("cpuinfo-cpu0.txt"); cpuinfo.ok()) put("proc/cpuinfo", *cpuinfo);
  if (auto kernel = read("kernel.txt"); kernel.ok()) put("proc/sys/kernel/osrelease", *kernel);
  // lscpu's "On-line CPU(s) list:   0,1" is /sys's cpu/online.
  if (auto lscpu = read("lscpu.txt"); lscpu.ok()) {
    std::istringstream in(*lscpu);
    for (std::string line; std::getline(in, line);) {
      const std::string key = "On-line CPU(s) list:";
      if (line.rfind(key, 0) != 0) continue;
      const size_t start = line.find_first_not_of(' ', key.size());
      if (start != std::string::npos) put("sys/devices/system/cpu/online", line.substr(start));
    }
  }
  return std::unique_ptr<Machine>(new ReplayedMachine(std::move(leaves), scratch));
}

}  // namespace perfkit
