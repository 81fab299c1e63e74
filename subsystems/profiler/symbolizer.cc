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
#include <filesystem>

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

// .symtab has every function; .dynsym only the exported ones, so a stripped
// file looks for its detached debug info first.
void ReadAllSymbols(Elf* elf, Symbolizer::File* f) {
  ReadSymbols(elf, SHT_SYMTAB, f);
  if (!f->symbols.empty()) return;
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
  if (f->symbols.empty()) ReadSymbols(elf, SHT_DYNSYM, f);
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
    ReadLoads(elf, slot.get());
    ReadAllSymbols(elf, slot.get());
    std::sort(slot->symbols.begin(), slot->symbols.end(),
              [](const File::Symbol& a, const File::Symbol& b) { return a.start < b.start; });
  }
  if (elf != nullptr) elf_end(elf);
  if (fd >= 0) close(fd);
  return slot.get();
}

std::string Symbolizer::Name(const std::vector<Mapping>& maps, uint64_t address, bool caller) {
  const uint64_t lookup = caller && address > 0 ? address - 1 : address;
  const Mapping* map = nullptr;
  for (auto it = maps.rbegin(); it != maps.rend(); ++it) {  // the newest mapping wins
    if (lookup >= it->start && lookup < it->start + it->length) {
      map = &*it;
      break;
    }
  }
  char buf[64];
  if (map == nullptr) {
    std::snprintf(buf, sizeof buf, "[unknown] (0x%" PRIx64 ")", address);
    return buf;
  }
  const std::string base = std::filesystem::path(map->path).filename().string();
  if (map->path != "[vdso]" && (map->path.empty() || map->path[0] == '[')) {
    return map->path.empty() ? "[anon]" : map->path;
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
      return s->name;
    }
  }
  std::snprintf(buf, sizeof buf, "+0x%" PRIx64 ")", offset);
  return "[unknown] (" + base + buf;
}

namespace {

bool IsThreadRoot(const std::string& frame) {
  return frame == "main" || frame == "_start" || frame == "__libc_start_main" ||
         frame == "__libc_start_call_main" || frame == "start_thread" || frame == "clone" ||
         frame == "clone3" || frame == "__clone" || frame == "__clone3";
}

}  // namespace

Profile Symbolize(const RawProfile& raw) {
  Profile profile;
  profile.event = raw.event;
  profile.fallback_reason = raw.fallback_reason;
  profile.lost = raw.lost;
  profile.throttled = raw.throttled;
  Symbolizer symbolizer;
  static const std::vector<Mapping> kNoMaps;
  std::map<std::vector<std::string>, uint64_t> merged;
  for (const RawSample& s : raw.samples) {
    auto maps = raw.mappings.find(s.pid);
    const std::vector<Mapping>& m = maps != raw.mappings.end() ? maps->second : kNoMaps;
    std::vector<std::string> frames;
    auto comm = raw.comms.find(s.pid);
    frames.push_back(comm != raw.comms.end() ? comm->second : "pid " + std::to_string(s.pid));
    for (size_t i = s.ips.size(); i-- > 0;) {
      frames.push_back(s.ips[i] >= 0xffff800000000000ull ? "[kernel]"
                                                         : symbolizer.Name(m, s.ips[i], i > 0));
    }
    ++profile.samples;
    bool complete = false;
    for (size_t i = 1; i < frames.size() && i < 4; ++i) complete |= IsThreadRoot(frames[i]);
    profile.complete += complete;
    ++merged[frames];
  }
  for (auto& [frames, count] : merged) profile.stacks.push_back({frames, count});
  return profile;
}

}  // namespace perfkit::profiler
