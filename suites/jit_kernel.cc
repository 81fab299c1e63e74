#include "suites/jit_kernel.h"

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "subsystems/jit/assembler.h"
#include "suites/jit_programs.h"

namespace perfkit::suites {
namespace {

// lddw with this immediate is patched into a reference to the array map.
constexpr int32_t kMapPlaceholder = 0x4d4150;

long Bpf(int cmd, bpf_attr* attr) { return syscall(__NR_bpf, cmd, attr, sizeof *attr); }

// Memory comes from a one-entry array map: look it up into r7 (r0 on a miss).
constexpr char kLookup[] = R"(
  stw [%r10-4], 0
  mov %r2, %r10
  add %r2, -4
  lddw %r1, 0x4d4150
  call 1
  jeq %r0, 0, out
  mov %r7, %r0
)";

struct KernelVariant {
  const char* workload;
  bool uses_map;  // else the workload's memory is the XDP packet
  std::string text;
};

const char* AssemblyOf(const char* name) {
  for (const JitWorkload& w : JitWorkloads()) {
    if (std::strcmp(w.name, name) == 0) return w.assembly;
  }
  return "";
}

// Where the kernel's verifier can follow our program as written, the variant
// is our text behind a prologue; fnv1a and filter need their bounds in a
// form it can prove, so they are written out.
std::vector<KernelVariant> Variants() {
  return {
      {"loop", false, AssemblyOf("loop")},
      {"fnv1a", true, std::string(kLookup) + R"(
  mov %r5, 0
  lddw %r0, 0xcbf29ce484222325
  lddw %r3, 0x100000001b3
loop:
  mov %r6, %r7
  add %r6, %r5
  ldxb %r6, [%r6]
  xor %r0, %r6
  mul %r0, %r3
  add %r5, 1
  jlt %r5, 4096, loop
  exit
out:
  exit
)"},
      {"filter", false, R"(
  ldxw %r2, [%r1]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 34
  jgt %r4, %r3, drop
  ldxh %r5, [%r2+12]
  be16 %r5
  jne %r5, 0x0800, drop
  ldxb %r5, [%r2+23]
  jne %r5, 6, drop
  ldxb %r5, [%r2+14]
  and %r5, 0xf
  lsh %r5, 2
  mov %r4, %r2
  add %r4, %r5
  mov %r6, %r4
  add %r6, 18
  jgt %r6, %r3, drop
  ldxh %r5, [%r4+16]
  be16 %r5
  jne %r5, 80, drop
  mov %r0, 1
  exit
drop:
  mov %r0, 0
  exit
)"},
      // r1 becomes the packet once its 8 bytes are proven present.
      {"seccomp", false, std::string(R"(
  ldxw %r2, [%r1]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 8
  jgt %r4, %r3, kill
  mov %r1, %r2
)") + AssemblyOf("seccomp")},
      {"sieve", true,
       std::string(kLookup) + "  mov %r1, %r7\n" + AssemblyOf("sieve") + "out:\n  exit\n"},
  };
}

Status Errno(const std::string& what) { return Status::Error(what + ": " + std::strerror(errno)); }

Result<int> CreateMap(const std::vector<uint8_t>& value) {
  bpf_attr a{};
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = static_cast<uint32_t>(value.size());
  a.max_entries = 1;
  const int fd = static_cast<int>(Bpf(BPF_MAP_CREATE, &a));
  if (fd < 0) return Errno("BPF_MAP_CREATE");
  uint32_t key = 0;
  bpf_attr u{};
  u.map_fd = static_cast<uint32_t>(fd);
  u.key = reinterpret_cast<uintptr_t>(&key);
  u.value = reinterpret_cast<uintptr_t>(value.data());
  if (Bpf(BPF_MAP_UPDATE_ELEM, &u) < 0) {
    close(fd);
    return Errno("BPF_MAP_UPDATE_ELEM");
  }
  return fd;
}

Result<int> LoadXdp(const std::vector<bpf_insn>& insns) {
  bpf_attr a{};
  a.prog_type = BPF_PROG_TYPE_XDP;
  a.insns = reinterpret_cast<uintptr_t>(insns.data());
  a.insn_cnt = static_cast<uint32_t>(insns.size());
  a.license = reinterpret_cast<uintptr_t>("GPL");
  const int fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &a));
  if (fd >= 0) return fd;
  const int err = errno;
  // Load again with a log to say why the kernel's verifier refused it.
  std::vector<char> log(1 << 20);
  a.log_buf = reinterpret_cast<uintptr_t>(log.data());
  a.log_size = static_cast<uint32_t>(log.size());
  a.log_level = 1;
  Bpf(BPF_PROG_LOAD, &a);
  std::string text(log.data());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const size_t last = text.rfind('\n');
  errno = err;
  return Status::Error(
      "BPF_PROG_LOAD: " + std::string(std::strerror(err)) +
      (text.empty() ? "" : " (" + text.substr(last == std::string::npos ? 0 : last + 1) + ")"));
}

}  // namespace

KernelBpfProgram::~KernelBpfProgram() {
  if (prog_fd_ >= 0) close(prog_fd_);
  if (map_fd_ >= 0) close(map_fd_);
}

Result<uint32_t> KernelBpfProgram::Run(uint32_t repeat, double* mean_ns) const {
  bpf_attr a{};
  a.test.prog_fd = static_cast<uint32_t>(prog_fd_);
  a.test.data_in = reinterpret_cast<uintptr_t>(packet_.data());
  a.test.data_size_in = static_cast<uint32_t>(packet_.size());
  a.test.repeat = repeat;
  if (Bpf(BPF_PROG_TEST_RUN, &a) < 0) return Errno("BPF_PROG_TEST_RUN");
  *mean_ns = a.test.duration;
  return a.test.retval;
}

const std::string& KernelBpfUnavailableReason() {
  static const std::string reason = [] {
    const std::vector<bpf_insn> trivial = {{0xb7, 0, 0, 0, 2}, {0x95, 0, 0, 0, 0}};
    auto fd = LoadXdp(trivial);
    if (fd.ok()) {
      close(*fd);
      return std::string();
    }
    if (errno == EPERM || errno == EACCES) {
      return "loading eBPF programs needs root or CAP_BPF+CAP_NET_ADMIN (" + fd.error() + ")";
    }
    return fd.error();
  }();
  return reason;
}

Result<std::unique_ptr<KernelBpfProgram>> LoadKernelProgram(const std::string& workload) {
  const JitWorkload* w = nullptr;
  for (const JitWorkload& x : JitWorkloads()) {
    if (workload == x.name) w = &x;
  }
  for (const KernelVariant& v : Variants()) {
    if (w == nullptr || workload != v.workload) continue;
    auto program = jit::Assemble(v.text);
    PERFKIT_CHECK(program.ok());
    auto p = std::unique_ptr<KernelBpfProgram>(new KernelBpfProgram);
    const std::vector<uint8_t> memory = w->memory();
    if (v.uses_map) {
      auto fd = CreateMap(memory);
      if (!fd.ok()) return fd.status();
      p->map_fd_ = *fd;
      p->packet_.assign(64, '\0');  // XDP wants a packet; these programs ignore it
    } else {
      p->packet_.assign(memory.begin(), memory.end());
      if (p->packet_.size() < 64) p->packet_.resize(64, '\0');  // at least an Ethernet frame
    }
    std::vector<bpf_insn> insns(program->size());
    std::memcpy(insns.data(), program->data(), insns.size() * sizeof(bpf_insn));
    for (bpf_insn& in : insns) {
      if (in.code == (BPF_LD | BPF_IMM | BPF_DW) && in.imm == kMapPlaceholder) {
        in.src_reg = BPF_PSEUDO_MAP_FD;
        in.imm = p->map_fd_;
      }
    }
    auto fd = LoadXdp(insns);
    if (!fd.ok()) return fd.status();
    p->prog_fd_ = *fd;
    return p;
  }
  return Status::Error("no kernel variant of '" + workload + "'");
}

}  // namespace perfkit::suites
