#include "subsystems/base/cpu_caches.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "subsystems/base/machine.h"

namespace perfkit {
namespace {

std::string Line(const std::filesystem::path& p) { return FirstLineOf(p.string()); }

int64_t ParseSize(const std::string& s) {  // "32K", "1024K", "32M"
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == nullptr) return 0;
  if (*end == 'K') return v << 10;
  if (*end == 'M') return v << 20;
  return v;
}

struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};

bool Cpuid(const Machine& m, unsigned leaf, unsigned sub, Regs* r) {
  auto regs = m.Cpuid(leaf, sub);
  if (!regs) return false;
  *r = {regs->eax, regs->ebx, regs->ecx, regs->edx};
  return true;
}

// Leaf 4 (Intel) and 0x8000001D (AMD) share this layout.
void DeterministicCaches(const Machine& m, unsigned leaf, CpuCaches* out) {
  Regs r;
  for (unsigned sub = 0; sub < 16 && Cpuid(m, leaf, sub, &r); ++sub) {
    const unsigned type = r.a & 0x1f;
    if (type == 0) break;
    CacheLevel c;
    const unsigned level = (r.a >> 5) & 7;
    c.name = "L" + std::to_string(level) + (type == 1 ? "d" : type == 2 ? "i" : "");
    c.line_bytes = static_cast<int>((r.b & 0xfff) + 1);
    const int partitions = static_cast<int>(((r.b >> 12) & 0x3ff) + 1);
    c.ways = static_cast<int>((r.b >> 22) + 1);
    const int64_t sets = static_cast<int64_t>(r.c) + 1;
    c.bytes = int64_t{c.ways} * partitions * c.line_bytes * sets;
    c.shared_by = static_cast<int>(((r.a >> 14) & 0xfff) + 1);
    out->caches.push_back(c);
  }
}

void AddTlb(CpuCaches* out, const std::string& name, const std::string& page, unsigned entries) {
  if (entries > 0) out->tlbs.push_back({name, page, static_cast<int>(entries)});
}

// AMD: L1 in 0x80000005 (8-bit counts), L2 in 0x80000006 (12-bit), 1G in
// 0x80000019.
void AmdTlbs(const Machine& m, CpuCaches* out) {
  Regs r;
  if (Cpuid(m, 0x80000005, 0, &r)) {
    AddTlb(out, "L1 dTLB", "4K", (r.b >> 16) & 0xff);
    AddTlb(out, "L1 iTLB", "4K", r.b & 0xff);
    AddTlb(out, "L1 dTLB", "2M", (r.a >> 16) & 0xff);
    AddTlb(out, "L1 iTLB", "2M", r.a & 0xff);
  }
  if (Cpuid(m, 0x80000006, 0, &r)) {
    AddTlb(out, "L2 dTLB", "4K", (r.b >> 16) & 0xfff);
    AddTlb(out, "L2 iTLB", "4K", r.b & 0xfff);
    AddTlb(out, "L2 dTLB", "2M", (r.a >> 16) & 0xfff);
    AddTlb(out, "L2 iTLB", "2M", r.a & 0xfff);
  }
  if (Cpuid(m, 0x80000019, 0, &r)) {
    AddTlb(out, "L1 dTLB", "1G", (r.a >> 16) & 0xfff);
    AddTlb(out, "L2 dTLB", "1G", (r.b >> 16) & 0xfff);
  }
}

// Intel: leaf 0x18, one subleaf per translation structure.
void IntelTlbs(const Machine& m, CpuCaches* out) {
  Regs r;
  if (!Cpuid(m, 0x18, 0, &r)) return;
  const unsigned last = r.a;
  for (unsigned sub = 0; sub <= last && sub < 32; ++sub) {
    if (!Cpuid(m, 0x18, sub, &r)) break;
    const unsigned type = r.d & 0x1f;
    if (type == 0) continue;
    const char* kind = type == 1   ? "dTLB"
                       : type == 2 ? "iTLB"
                       : type == 4 ? "load TLB"
                       : type == 5 ? "store TLB"
                                   : "TLB";
    const std::string name = "L" + std::to_string((r.d >> 5) & 7) + " " + kind;
    const unsigned entries = (r.b >> 16) * r.c;
    for (auto [bit, page] : {std::pair{0u, "4K"}, std::pair{1u, "2M"}, std::pair{3u, "1G"}}) {
      if (r.b & (1u << bit)) AddTlb(out, name, page, entries);
    }
  }
}

std::string Describe(const CacheLevel& c) {
  return c.name + " " + std::to_string(c.bytes >> 10) + " KiB";
}

}  // namespace

int64_t CpuCaches::Bytes(const std::string& name) const {
  for (const CacheLevel& c : caches) {
    if (c.name == name) return c.bytes;
  }
  return 0;
}

int64_t CpuCaches::LastLevelBytes() const { return std::max(Bytes("L3"), Bytes("L2")); }

int CpuCaches::LineBytes() const {
  for (const CacheLevel& c : caches) {
    if (c.line_bytes > 0) return c.line_bytes;
  }
  return 0;
}

CpuCaches CachesFromCpuid(const Machine& m) {
  CpuCaches out;
  Regs r;
  if (!Cpuid(m, 0, 0, &r)) return out;
  const bool amd = r.b == 0x68747541 || r.b == 0x6f677948;  // "Auth", "Hygo"
  if (amd) {
    Regs ext;
    const bool topoext = Cpuid(m, 0x80000001, 0, &ext) && (ext.c & (1u << 22));
    if (topoext) DeterministicCaches(m, 0x8000001D, &out);
    AmdTlbs(m, &out);
  } else {
    DeterministicCaches(m, 4, &out);
    IntelTlbs(m, &out);
  }
  if (!out.caches.empty()) out.source = "cpuid";
  return out;
}

CpuCaches CachesFromSysfs(const Machine& m) {
  CpuCaches out;
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(m.Path("/sys/devices/system/cpu/cpu0/cache"), ec)) {
    if (e.path().filename().string().rfind("index", 0) != 0) continue;
    CacheLevel c;
    const std::string type = Line(e.path() / "type");
    c.name = "L" + Line(e.path() / "level") +
             (type == "Data"          ? "d"
              : type == "Instruction" ? "i"
                                      : "");
    c.bytes = ParseSize(Line(e.path() / "size"));
    c.line_bytes = std::atoi(Line(e.path() / "coherency_line_size").c_str());
    c.ways = std::atoi(Line(e.path() / "ways_of_associativity").c_str());
    out.caches.push_back(c);
  }
  if (!out.caches.empty()) out.source = "sysfs";
  return out;
}

CpuCaches DetectCaches(const Machine& m) {
  CpuCaches cpuid = CachesFromCpuid(m);
  const CpuCaches sysfs = CachesFromSysfs(m);
  if (cpuid.caches.empty()) {
    CpuCaches out = sysfs;
    out.tlbs = cpuid.tlbs;
    return out;
  }
  for (const CacheLevel& s : sysfs.caches) {
    const int64_t mine = cpuid.Bytes(s.name);
    if (mine != 0 && mine != s.bytes) {
      cpuid.mismatch += (cpuid.mismatch.empty() ? "" : "; ") + Describe(s) + " in /sys, " +
                        std::to_string(mine >> 10) + " KiB from CPUID";
    }
  }
  return cpuid;
}

const CpuCaches& DetectCaches() {
  static const CpuCaches caches = DetectCaches(ThisMachine());
  return caches;
}

}  // namespace perfkit
