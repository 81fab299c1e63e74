#include "subsystems/profiler/unwinder.h"

#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#if defined(__x86_64__)
#include <asm/perf_regs.h>
#endif

namespace perfkit::profiler {
namespace {

#if defined(__x86_64__)
// The x86-64 DWARF register numbers in order (rax, rdx, rcx, rbx, rsi, rdi,
// rbp, rsp, r8-r15, rip), each as the perf register that holds it.
constexpr int kDwarfToPerf[] = {
    PERF_REG_X86_AX,  PERF_REG_X86_DX,  PERF_REG_X86_CX,  PERF_REG_X86_BX,  PERF_REG_X86_SI,
    PERF_REG_X86_DI,  PERF_REG_X86_BP,  PERF_REG_X86_SP,  PERF_REG_X86_R8,  PERF_REG_X86_R9,
    PERF_REG_X86_R10, PERF_REG_X86_R11, PERF_REG_X86_R12, PERF_REG_X86_R13, PERF_REG_X86_R14,
    PERF_REG_X86_R15, PERF_REG_X86_IP};
constexpr int kPerfIp = PERF_REG_X86_IP;
constexpr int kPerfSp = PERF_REG_X86_SP;
#else
constexpr int kDwarfToPerf[] = {0};
constexpr int kPerfIp = -1;
constexpr int kPerfSp = -1;
#endif
constexpr size_t kMaxFrames = 256;

// Where perf register `reg` sits in a sample's register array.
int SlotOf(int reg) {
  return __builtin_popcountll(UnwindRegisterMask() & ((uint64_t{1} << reg) - 1));
}

bool IsFile(const std::string& path) { return !path.empty() && path[0] == '/'; }

// The load bias of the object mapped by `m`: the address minus the ELF
// vaddr, taken from the PT_LOAD segment that the mapping's offset falls in.
uint64_t LoadBias(Elf* elf, const Mapping& m) {
  size_t phnum = 0;
  elf_getphdrnum(elf, &phnum);
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_LOAD) continue;
    const uint64_t page_offset = ph.p_offset & ~uint64_t{4095};
    if (m.pgoff >= page_offset && m.pgoff < ph.p_offset + ph.p_filesz) {
      return m.start - m.pgoff + ph.p_offset - ph.p_vaddr;
    }
  }
  return m.start - m.pgoff;
}

// Reports one mapped object to libdw. Owns `fd` (libdw keeps it on success).
void Report(Dwfl* dwfl, const Mapping& m, int fd) {
  if (fd < 0) return;
  uint64_t bias = m.start - m.pgoff;
  if (Elf* elf = elf_begin(fd, ELF_C_READ, nullptr)) {
    bias = LoadBias(elf, m);
    elf_end(elf);
  }
  if (dwfl_report_elf(dwfl, m.path.c_str(), m.path.c_str(), fd, bias, /*add_p_vaddr=*/true) ==
      nullptr) {
    close(fd);  // an object libdw cannot read, or one overlapping another: no CFI for it
  }
}

int VdsoFd() {
  const std::vector<uint8_t>& image = VdsoImage();
  if (image.empty()) return -1;
  const int fd = memfd_create("vdso", MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (write(fd, image.data(), image.size()) != static_cast<ssize_t>(image.size())) {
    close(fd);
    return -1;
  }
  return fd;
}

using internal::UnwindState;
const UnwindState* Current(void* arg) { return static_cast<const UnwindState*>(arg); }

pid_t NoThreads(Dwfl*, void*, void**) { return 0; }

bool AnyThread(Dwfl*, pid_t, void* arg, void** thread_arg) {
  *thread_arg = arg;
  return true;
}

// Reads the stack as it was copied at the sample; nothing else is readable.
bool ReadStack(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
  const UnwindState* s = Current(arg);
  if (addr < s->sp || addr - s->sp + sizeof *result > s->stack->size) return false;
  std::memcpy(result, s->stack->stack + (addr - s->sp), sizeof *result);
  return true;
}

bool InitialRegisters(Dwfl_Thread* thread, void* arg) {
  const UserStack* s = Current(arg)->stack;
  Dwarf_Word regs[std::size(kDwarfToPerf)];
  for (size_t i = 0; i < std::size(kDwarfToPerf); ++i) regs[i] = s->regs[SlotOf(kDwarfToPerf[i])];
  return dwfl_thread_state_registers(thread, 0, std::size(kDwarfToPerf), regs);
}

const Dwfl_Thread_Callbacks kThreadCallbacks = {
    NoThreads, AnyThread, ReadStack, InitialRegisters, nullptr, nullptr,
};

char* g_debuginfo_path = nullptr;
const Dwfl_Callbacks kCallbacks = {dwfl_build_id_find_elf, dwfl_standard_find_debuginfo,
                                   dwfl_offline_section_address, &g_debuginfo_path};

}  // namespace

uint64_t UnwindRegisterMask() {
#if defined(__x86_64__)
  uint64_t mask = 0;
  for (int reg : kDwarfToPerf) mask |= uint64_t{1} << reg;
  return mask;
#else
  return 0;
#endif
}

const std::vector<uint8_t>& VdsoImage() {
  static const std::vector<uint8_t> image = [] {
    std::vector<uint8_t> bytes;
    const auto* base = reinterpret_cast<const uint8_t*>(getauxval(AT_SYSINFO_EHDR));
    std::ifstream maps("/proc/self/maps");
    for (std::string line; base != nullptr && std::getline(maps, line);) {
      if (line.find("[vdso]") == std::string::npos) continue;
      uint64_t start = 0, end = 0;
      char dash;
      std::istringstream(line) >> std::hex >> start >> dash >> end;
      if (start == reinterpret_cast<uint64_t>(base)) bytes.assign(base, base + (end - start));
    }
    return bytes;
  }();
  return image;
}

struct Unwinder::Process {
  Dwfl* dwfl = nullptr;
  size_t file_maps = 0;  // file-backed mappings reported; JIT code adds none
  bool attached = false;
  ~Process() {
    if (dwfl != nullptr) dwfl_end(dwfl);
  }
};

Unwinder::Unwinder() { elf_version(EV_CURRENT); }
Unwinder::~Unwinder() = default;

Unwinder::Process* Unwinder::For(uint32_t pid, const std::vector<Mapping>& maps) {
  size_t file_maps = 0;
  for (const Mapping& m : maps) file_maps += IsFile(m.path) || m.path == "[vdso]";
  std::unique_ptr<Process>& p = processes_[pid];
  if (p != nullptr && p->file_maps == file_maps) return p.get();
  p = std::make_unique<Process>();
  p->file_maps = file_maps;
  p->dwfl = dwfl_begin(&kCallbacks);
  if (p->dwfl == nullptr) return p.get();
  // The newest mapping of each object wins, as it does for symbols.
  std::map<std::string, const Mapping*> newest;
  for (const Mapping& m : maps) {
    if (IsFile(m.path) || m.path == "[vdso]") newest[m.path] = &m;
  }
  dwfl_report_begin(p->dwfl);
  for (const auto& [path, m] : newest) {
    Report(p->dwfl, *m, path == "[vdso]" ? VdsoFd() : open(path.c_str(), O_RDONLY | O_CLOEXEC));
  }
  dwfl_report_end(p->dwfl, nullptr, nullptr);
  p->attached =
      dwfl_attach_state(p->dwfl, nullptr, static_cast<pid_t>(pid), &kThreadCallbacks, &current_);
  return p.get();
}

void Unwinder::Unwind(uint32_t pid, uint32_t tid, const std::vector<Mapping>& maps,
                      const UserStack& stack, std::vector<uint64_t>* ips) {
  if (kPerfIp < 0) return;
  Process* p = For(pid, maps);
  struct Frames {
    std::vector<uint64_t>* ips;
    size_t added = 0;
  } frames{ips};
  if (p->attached) {
    current_ = {&stack, stack.regs[SlotOf(kPerfSp)]};
    dwfl_getthread_frames(
        p->dwfl, static_cast<pid_t>(tid),
        [](Dwfl_Frame* frame, void* arg) -> int {
          auto* f = static_cast<Frames*>(arg);
          Dwarf_Addr pc = 0;
          if (!dwfl_frame_pc(frame, &pc, nullptr) || pc == 0) return DWARF_CB_ABORT;
          f->ips->push_back(pc);
          return ++f->added < kMaxFrames ? DWARF_CB_OK : DWARF_CB_ABORT;
        },
        &frames);
    current_ = {};
  }
  if (frames.added == 0) ips->push_back(stack.regs[SlotOf(kPerfIp)]);
}

}  // namespace perfkit::profiler
