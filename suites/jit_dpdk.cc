#include "suites/jit_dpdk.h"

#include <dlfcn.h>

#include <cstring>

namespace perfkit::suites {
namespace {

// The parts of rte_bpf.h (DPDK 22.11, ABI 23) this file uses.
enum RteBpfArgType { kArgPtr = 0x10 };
struct RteBpfArg {
  int type;
  size_t size;
  size_t buf_size;
};
struct RteBpfPrm {
  const void* ins;
  uint32_t nb_ins;
  const void* xsym;
  uint32_t nb_xsym;
  RteBpfArg prog_arg;
};
struct RteBpfJit {
  uint64_t (*func)(void*);
  size_t sz;
};

struct Api {
  void* (*load)(const RteBpfPrm*);
  uint64_t (*exec)(const void*, void*);
  int (*get_jit)(const void*, RteBpfJit*);
  void (*destroy)(void*);
  std::string missing;
};

const Api& Dpdk() {
  static const Api api = [] {
    Api a{};
    void* h = dlopen("librte_bpf.so.23", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      a.missing =
          std::string(
              "librte_bpf.so.23 not found (apt-get install librte-bpf23 or libdpdk-dev): ") +
          dlerror();
      return a;
    }
    a.load = reinterpret_cast<decltype(a.load)>(dlsym(h, "rte_bpf_load"));
    a.exec = reinterpret_cast<decltype(a.exec)>(dlsym(h, "rte_bpf_exec"));
    a.get_jit = reinterpret_cast<decltype(a.get_jit)>(dlsym(h, "rte_bpf_get_jit"));
    a.destroy = reinterpret_cast<decltype(a.destroy)>(dlsym(h, "rte_bpf_destroy"));
    if (!a.load || !a.exec || !a.get_jit || !a.destroy)
      a.missing = "librte_bpf.so.23 lacks the rte_bpf API";
    return a;
  }();
  return api;
}

}  // namespace

const std::string& DpdkUnavailableReason() { return Dpdk().missing; }

DpdkBpfProgram::~DpdkBpfProgram() {
  if (bpf_ != nullptr) Dpdk().destroy(bpf_);
}

uint64_t DpdkBpfProgram::Interpret(void* memory) const { return Dpdk().exec(bpf_, memory); }

Result<std::unique_ptr<DpdkBpfProgram>> LoadDpdkProgram(const jit::Program& program,
                                                        size_t memory_bytes) {
  const Api& api = Dpdk();
  if (!api.missing.empty()) return Status::Error(api.missing);
  for (const jit::Insn& in : program) {
    const uint8_t cls = jit::ClassOf(in.opcode);
    if ((cls == jit::kJmp || cls == jit::kJmp32) && in.offset < 0) {
      return Status::Error("the program loops, and DPDK's validator refuses loops");
    }
  }
  RteBpfPrm prm{};
  prm.ins = program.data();
  prm.nb_ins = static_cast<uint32_t>(program.size());
  prm.prog_arg.type = kArgPtr;
  prm.prog_arg.size = memory_bytes;
  auto p = std::unique_ptr<DpdkBpfProgram>(new DpdkBpfProgram);
  p->bpf_ = api.load(&prm);
  if (p->bpf_ == nullptr) {
    return Status::Error("rte_bpf_load refused it");
  }
  RteBpfJit jit{};
  if (api.get_jit(p->bpf_, &jit) == 0) p->jit_ = jit.func;
  return p;
}

}  // namespace perfkit::suites
