#include "subsystems/profiler/symbolizer.h"

#include <cxxabi.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "subsystems/profiler/inline_frames.h"
#include "subsystems/profiler/kernel_symbols.h"
#include "subsystems/profiler/unwinder.h"

namespace perfkit::profiler {

struct Symbolizer::File {
  struct Symbol {
    uint64_t start;
    uint64_t size;
    std::string name;  // demangled on first use
    bool demangled = false;
  };
  struct Segment {
    uint64_t offset, vaddr, filesz;
  };
  bool readable = false;
  std::vector<Symbol> symbols;  // sorted by start
  std::vector<Segment> loads;
  std::unique_ptr<InlineFrames> inlines;

  // A file offset to the address the ELF headers give it.
  bool ToVaddr(uint64_t offset, uint64_t* vaddr) const {
    for (const Segment& s : loads) {
      if (offset >= s.offset && offset < s.offset + s.filesz) {
        *vaddr = offset - s.offset + s.vaddr;
        return true;
      }
    }
    return false;
  }
  Symbol* Find(uint64_t vaddr) {
    auto it = std::upper_bound(symbols.begin(), symbols.end(), vaddr,
                               [](uint64_t v, const Symbol& s) { return v < s.start; });
    if (it == symbols.begin()) return nullptr;
    --it;
    // Hand-written assembly often has size-0 symbols (ISA-L's): they reach
    // to the next symbol.
    const uint64_t end = it->size > 0                     ? it->start + it->size
                         : std::next(it) != symbols.end() ? std::next(it)->start
                                                          : it->start + 1;
    if (vaddr >= end) return nullptr;
    return &*it;
  }
};

Symbolizer::Symbolizer() { elf_version(EV_CURRENT); }
Symbolizer::~Symbolizer() = default;

namespace {

void ReadLoads(Elf* elf, Symbolizer::File* f) {
  size_t phnum = 0;
  elf_getphdrnum(elf, &phnum);
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) != nullptr && ph.p_type == PT_LOAD) {
      f->loads.push_back({ph.p_offset, ph.p_vaddr, ph.p_filesz});
    }
  }
}

void ReadSymbols(Elf* elf, Elf64_Word type, Symbolizer::File* f) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != type) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    const size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    for (size_t i = 0; data != nullptr && i < count; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0) continue;
      const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (name != nullptr && *name) f->symbols.push_back({sym.st_value, sym.st_size, name});
    }
  }
}

// The GNU build ID in hex, which names the file's detached debug info
// (Debian's -dbg packages install /usr/lib/debug/.build-id/ab/cdef....debug).
std::string BuildId(Elf* elf) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_NOTE) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    GElf_Nhdr note;
    size_t offset = 0, name_at = 0, desc_at = 0;
    while (data != nullptr &&
           (offset = gelf_getnote(data, offset, &note, &name_at, &desc_at)) > 0) {
      if (note.n_type != NT_GNU_BUILD_ID || note.n_namesz != 4) continue;
      std::string hex;
      const auto* bytes = static_cast<const uint8_t*>(data->d_buf) + desc_at;
      for (size_t i = 0; i < note.n_descsz; ++i) {
        char byte[3];
        std::snprintf(byte, sizeof byte, "%02x", bytes[i]);
        hex += byte;
      }
      return hex;
    }
  }
  return "";
}

Elf_Scn* SectionNamed(Elf* elf, const char* name, GElf_Shdr* sh) {
  size_t names = 0;
  if (elf_getshdrstrndx(elf, &names) != 0) return nullptr;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    if (gelf_getshdr(scn, sh) == nullptr) continue;
    const char* n = elf_strptr(elf, names, sh->sh_name);
    if (n != nullptr && std::strcmp(n, name) == 0) return scn;
  }
  return nullptr;
}

// PLT stubs have no symbols of their own (a size-0 `_init` before them
// would claim them): name each `func@plt`, as perf does, from .rela.plt's
// order. With IBT the stubs are in .plt.sec, one per entry; else in .plt,
// after the resolver stub.
void ReadPltSymbols(Elf* elf, Symbolizer::File* f) {
  GElf_Shdr rela_sh, plt_sh, dynsym_sh;
  Elf_Scn* rela = SectionNamed(elf, ".rela.plt", &rela_sh);
  if (rela == nullptr) return;
  Elf_Scn* plt = SectionNamed(elf, ".plt.sec", &plt_sh);
  const bool sec = plt != nullptr;
  if (!sec) plt = SectionNamed(elf, ".plt", &plt_sh);
  Elf_Scn* dynsym = elf_getscn(elf, rela_sh.sh_link);
  if (plt == nullptr || dynsym == nullptr || gelf_getshdr(dynsym, &dynsym_sh) == nullptr) return;
  Elf_Data* relocs = elf_getdata(rela, nullptr);
  Elf_Data* syms = elf_getdata(dynsym, nullptr);
  const uint64_t entry = 16;
  const size_t count = rela_sh.sh_entsize ? rela_sh.sh_size / rela_sh.sh_entsize : 0;
  for (size_t i = 0; relocs != nullptr && syms != nullptr && i < count; ++i) {
    GElf_Rela r;
    GElf_Sym sym;
    if (gelf_getrela(relocs, static_cast<int>(i), &r) == nullptr ||
        gelf_getsym(syms, static_cast<int>(GELF_R_SYM(r.r_info)), &sym) == nullptr) {
      continue;
    }
    const char* name = elf_strptr(elf, dynsym_sh.sh_link, sym.st_name);
    const uint64_t start = plt_sh.sh_addr + (sec ? i : i + 1) * entry;
    if (name == nullptr || *name == '\0' || start + entry > plt_sh.sh_addr + plt_sh.sh_size) {
      continue;
    }
    f->symbols.push_back({start, entry, std::string(name) + "@plt"});
  }
}

// .symtab has every function; .dynsym only the exported ones, so a stripped
// file looks for its detached debug info first.
void ReadAllSymbols(Elf* elf, Symbolizer::File* f) {
  ReadPltSymbols(elf, f);
  const size_t plt = f->symbols.size();
  ReadSymbols(elf, SHT_SYMTAB, f);
  if (f->symbols.size() > plt) return;
  const std::string id = BuildId(elf);
  if (id.size() > 2) {
    const std::string debug =
        "/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
    const int fd = open(debug.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (Elf* d = elf_begin(fd, ELF_C_READ, nullptr)) {
        ReadSymbols(d, SHT_SYMTAB, f);
        elf_end(d);
      }
      close(fd);
    }
  }
  if (f->symbols.size() == plt) ReadSymbols(elf, SHT_DYNSYM, f);
}

}  // namespace

Symbolizer::File* Symbolizer::Load(const std::string& path) {
  auto& slot = files_[path];
  if (slot) return slot.get();
  slot = std::make_unique<File>();
  const std::vector<uint8_t>& vdso = VdsoImage();
  const int fd = path == "[vdso]" ? -1 : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  Elf* elf = nullptr;
  if (path == "[vdso]" && !vdso.empty()) {
    // Every process on this kernel maps the same vdso as we do.
    elf = elf_memory(const_cast<char*>(reinterpret_cast<const char*>(vdso.data())), vdso.size());
  } else if (fd >= 0) {
    elf = elf_begin(fd, ELF_C_READ, nullptr);
  }
  if (elf != nullptr && elf_kind(elf) == ELF_K_ELF) {
    slot->readable = true;
    if (path != "[vdso]") slot->inlines = std::make_unique<InlineFrames>(path);
    ReadLoads(elf, slot.get());
    ReadAllSymbols(elf, slot.get());
    std::sort(slot->symbols.begin(), slot->symbols.end(),
              [](const File::Symbol& a, const File::Symbol& b) { return a.start < b.start; });
  }
  if (elf != nullptr) elf_end(elf);
  if (fd >= 0) close(fd);
  return slot.get();
}

namespace {

// The real uid of a live process, or -1.
long OwnerOf(uint32_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Uid:", 0) == 0) return std::strtol(line.c_str() + 4, nullptr, 10);
  }
  return -1;
}

// The newest mapping holding `address` wins (a later mmap replaces).
const Mapping* FindMapping(const std::vector<Mapping>& maps, uint64_t address) {
  for (auto it = maps.rbegin(); it != maps.rend(); ++it) {
    if (address >= it->start && address < it->start + it->length) return &*it;
  }
  return nullptr;
}

bool Anonymous(const Mapping* map) {
  return map == nullptr || map->path.empty() || map->path.rfind("[anon", 0) == 0 ||
         map->path.rfind("//anon", 0) == 0 || map->path.rfind("/memfd:", 0) == 0;
}

}  // namespace

const PerfMap& Symbolizer::MapOf(uint32_t pid) {
  auto& slot = perf_maps_[pid];
  if (!slot) slot = std::make_unique<PerfMap>(pid, OwnerOf(pid));
  return *slot;
}

void Symbolizer::Frames(uint32_t pid, const std::vector<Mapping>& maps, uint64_t address,
                        bool caller, bool inlined, std::vector<std::string>* out, bool line) {
  Resolved r = Resolve(pid, maps, address, caller);
  out->push_back(std::move(r.name));
  if (r.file == nullptr || !r.file->inlines) return;
  if (inlined) {
    const std::vector<std::string>& more = r.file->inlines->At(r.vaddr);
    out->insert(out->end(), more.begin(), more.end());
  }
  if (line) {
    if (std::string where = r.file->inlines->LineAt(r.vaddr); !where.empty()) {
      out->back() += " (" + where + ")";
    }
  }
}

std::string Symbolizer::Dso(const std::vector<Mapping>& maps, uint64_t address) {
  const Mapping* map = FindMapping(maps, address);
  if (map == nullptr) return "[unknown]";
  if (Anonymous(map)) return "[anon]";
  return map->path[0] == '[' ? map->path : std::filesystem::path(map->path).filename().string();
}

Symbolizer::Resolved Symbolizer::Resolve(uint32_t pid, const std::vector<Mapping>& maps,
                                         uint64_t address, bool caller) {
  const uint64_t lookup = caller && address > 0 ? address - 1 : address;
  const Mapping* map = FindMapping(maps, lookup);
  if (Anonymous(map)) {
    if (std::string jit = MapOf(pid).Name(lookup); !jit.empty()) return {jit};
  }
  return Resolve(map, address, lookup);
}

std::string Symbolizer::Name(const std::vector<Mapping>& maps, uint64_t address, bool caller) {
  const uint64_t lookup = caller && address > 0 ? address - 1 : address;
  return Resolve(FindMapping(maps, lookup), address, lookup).name;
}

Symbolizer::Resolved Symbolizer::Resolve(const Mapping* map, uint64_t address, uint64_t lookup) {
  char buf[64];
  if (map == nullptr) {
    std::snprintf(buf, sizeof buf, "[unknown] (0x%" PRIx64 ")", address);
    return {buf};
  }
  const std::string base = std::filesystem::path(map->path).filename().string();
  if (map->path != "[vdso]" && (map->path.empty() || map->path[0] == '[')) {
    return {map->path.empty() ? "[anon]" : map->path};
  }
  const uint64_t offset = lookup - map->start + map->pgoff;
  File* f = Load(map->path);
  uint64_t vaddr = 0;
  if (f->readable && f->ToVaddr(offset, &vaddr)) {
    if (File::Symbol* s = f->Find(vaddr)) {
      if (!s->demangled) {
        int status = 0;
        char* d = abi::__cxa_demangle(s->name.c_str(), nullptr, nullptr, &status);
        if (status == 0 && d != nullptr) s->name = d;
        std::free(d);
        s->demangled = true;
      }
      return {s->name, f, vaddr};
    }
  }
  std::snprintf(buf, sizeof buf, "+0x%" PRIx64 ")", offset);
  return {"[unknown] (" + base + buf};
}

namespace {

bool IsThreadRoot(const std::string& frame) {
  return frame == "main" || frame == "_start" || frame == "__libc_start_main" ||
         frame == "__libc_start_call_main" || frame == "start_thread" || frame == "clone" ||
         frame == "clone3" || frame == "__clone" || frame == "__clone3";
}

std::string ProcessName(const RawProfile& raw, uint32_t pid) {
  if (auto c = raw.comms.find(pid); c != raw.comms.end()) return c->second;
  if (auto t = raw.thread_names.find(pid); t != raw.thread_names.end()) return t->second;
  return "pid " + std::to_string(pid);
}

std::string ThreadName(const RawProfile& raw, uint32_t tid) {
  auto t = raw.thread_names.find(tid);
  return t != raw.thread_names.end() ? t->second : "tid " + std::to_string(tid);
}

// The root frames: the process by name (so one program's profiles compare
// whatever its threads are called), with its pid, or with the thread below.
void RootFrames(const RawProfile& raw, const RawSample& s, StackRoot root,
                std::vector<std::string>* frames) {
  const std::string process = ProcessName(raw, s.pid);
  switch (root) {
    case StackRoot::kProcess:
      frames->push_back(process);
      break;
    case StackRoot::kPid:
      frames->push_back(process + " [" + std::to_string(s.pid) + "]");
      break;
    case StackRoot::kThread:
      frames->push_back(process + " [" + std::to_string(s.pid) + "]");
      frames->push_back(ThreadName(raw, s.tid) + " [tid " + std::to_string(s.tid) + "]");
      break;
  }
}

// With off-CPU samples every stack is weighted by time, in microseconds:
// a timer sample by its period (task-clock: nanoseconds of CPU), a
// switch-out by how long the thread waited until it ran again. A wait that
// never ended while sampling (the thread exited) counts nothing.
uint64_t WeightUs(const RawProfile& raw, const RawSample& s) {
  if (!s.off_cpu) return s.period / 1000;
  auto ins = raw.switch_ins.find(s.tid);
  if (ins == raw.switch_ins.end()) return 0;
  auto back = std::upper_bound(ins->second.begin(), ins->second.end(), s.time_ns);
  return back == ins->second.end() ? 0 : (*back - s.time_ns) / 1000;
}

bool HasOffCpu(const RawProfile& raw) {
  return std::any_of(raw.samples.begin(), raw.samples.end(),
                     [](const RawSample& s) { return s.off_cpu; });
}

bool HasKernelFrames(const RawProfile& raw) {
  for (const RawSample& s : raw.samples) {
    for (uint64_t ip : s.ips) {
      if (ip >= kKernelStart) return true;
    }
  }
  return false;
}

}  // namespace

Profile Symbolize(const RawProfile& raw, const SymbolizeOptions& options) {
  Profile profile;
  profile.event = raw.event;
  profile.fallback_reason = raw.fallback_reason;
  profile.lost = raw.lost;
  profile.throttled = raw.throttled;
  Symbolizer symbolizer;
  std::unique_ptr<KernelSymbols> kernel;
  if (HasKernelFrames(raw)) {
    kernel = std::make_unique<KernelSymbols>(ThisMachine());
    profile.kernel_note = kernel->note();
  }
  RawProfile timed;  // switch-ins sorted, for WeightUs
  const bool weighted = HasOffCpu(raw);
  if (weighted) {
    timed.switch_ins = raw.switch_ins;
    for (auto& [tid, ins] : timed.switch_ins) std::sort(ins.begin(), ins.end());
    profile.weighted_by_time = true;
  }
  static const std::vector<Mapping> kNoMaps;
  std::map<std::vector<std::string>, uint64_t> merged;
  for (const RawSample& s : raw.samples) {
    const uint64_t weight = weighted ? WeightUs(timed, s) : 1;
    if (weighted) {
      (s.off_cpu ? profile.off_cpu_us : profile.on_cpu_us) += weight;
      profile.switches += s.off_cpu;
      if (weight == 0) continue;
    }
    auto maps = raw.mappings.find(s.pid);
    const std::vector<Mapping>& m = maps != raw.mappings.end() ? maps->second : kNoMaps;
    std::vector<std::string> frames;
    RootFrames(raw, s, options.root, &frames);
    const size_t roots = frames.size();
    // Leaf first: the sampled address, kernel frames (if any), then the
    // user frame the kernel interrupted (an instruction, not a return
    // address), then return addresses.
    size_t interrupted = 0;
    while (interrupted < s.ips.size() && s.ips[interrupted] >= kKernelStart) ++interrupted;
    for (size_t i = s.ips.size(); i-- > 0;) {
      const uint64_t ip = s.ips[i];
      if (options.by_dso) {
        const std::string dso = ip >= kKernelStart ? "[kernel]" : Symbolizer::Dso(m, ip);
        if (frames.size() == roots || frames.back() != dso) frames.push_back(dso);
      } else if (ip >= kKernelStart) {
        frames.push_back(kernel->Name(ip));
      } else {
        symbolizer.Frames(s.pid, m, ip, i > interrupted, options.inlined, &frames,
                          options.lines && i == 0);
      }
    }
    if (s.off_cpu) frames.push_back("[off-cpu]");
    ++profile.samples;
    bool complete = false;
    for (size_t i = roots; i < frames.size() && i < roots + 3; ++i) {
      complete |= IsThreadRoot(frames[i]);
    }
    profile.complete += complete;
    merged[frames] += weight;
  }
  for (auto& [frames, count] : merged) profile.stacks.push_back({frames, count});
  return profile;
}

}  // namespace perfkit::profiler
