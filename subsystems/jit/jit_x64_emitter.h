// The x86-64 JIT, emitted with xbyak (libxbyak-dev): a header-only assembler
// whose mnemonics read like the instructions, so these files never encode
// bytes by hand, and whose allocator supports write-then-read+execute pages.
// (asmjit would do too; Debian's package is a 2022 snapshot with a shifting
// API, xbyak's API has been stable for years.)
//
// Register map: r0 rax, r1-r5 rdi rsi rdx rcx r8 (the SysV argument
// registers, so helper calls need no moves), r6-r9 rbx r13 r14 r15, r10 rbp.
// r12 holds the run's Context, r9 the work budget, r10/r11 are scratch.
//
// jit_x64_emitter.h: the Emitter and the run's Context, shared by
// jit_x64_emit.cc (entry, calls, memory), jit_x64_alu.cc (arithmetic and
// branches) and jit_x64.cc (compiled programs and their calls).
#pragma once

#include <xbyak/xbyak.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "subsystems/jit/jit.h"

namespace perfkit::jit::x64 {

using Xbyak::Label;
using Xbyak::Reg32;
using Xbyak::Reg64;

struct Context {
  uint64_t mem_lo;
  uint64_t mem_size;
  uint64_t stack_lo;
  uint64_t stack_top;
  uint64_t budget;
  uint64_t saved_rsp;
  uint64_t depth;
  uint32_t fault;
  uint32_t fault_pc;
  uint64_t fault_address;
  uint64_t fault_bytes;
  uint64_t mem_limit[9];  // valid offsets for an access of n bytes: size - n + 1
  uint64_t stack_limit[9];
  alignas(64) uint8_t stack[kStackRegionBytes];
};

inline uint64_t Limit(size_t size, int n) {
  return size >= static_cast<size_t>(n) ? size - n + 1 : 0;
}

enum class Cond { kEq, kNe, kA, kAe, kB, kBe, kG, kGe, kL, kLe, kNz };

Cond Inverse(Cond c);

// Out-of-line code a failed check jumps to: records the fault and leaves.
struct FaultExit {
  Label label;
  Fault fault;
  uint32_t pc;
  int bytes;
  int address_reg;  // -1: none, else an x86 register index
};

// An address outside the program's memory, checked against the stack frames
// out of line, so that the in-bounds path falls through.
struct StackCheck {
  Label label;
  Label back;
  uint32_t pc;
  int bytes;
};

class Emitter : public Xbyak::CodeGenerator {
 public:
  // `unchecked`: the memory accesses to emit without a bounds check (the
  // ones ProveAccesses showed in bounds), or null for none. Without
  // `count_work`, back edges do not charge the work budget (MaxWork showed
  // the run cannot exhaust it).
  Emitter(const Program& p, const HelperTable& h, size_t code_bytes,
          const std::vector<bool>* unchecked, bool count_work)
      : Xbyak::CodeGenerator(code_bytes, Xbyak::DontSetProtectRWE),
        p_(p),
        helpers_(h),
        unchecked_(unchecked),
        count_work_(count_work) {}

  void Build();

 private:
  static const Reg64& R(int bpf) {
    static const Reg64 map[11] = {Xbyak::util::rax, Xbyak::util::rdi, Xbyak::util::rsi,
                                  Xbyak::util::rdx, Xbyak::util::rcx, Xbyak::util::r8,
                                  Xbyak::util::rbx, Xbyak::util::r13, Xbyak::util::r14,
                                  Xbyak::util::r15, Xbyak::util::rbp};
    return map[bpf];
  }
  Label& NewFaultExit(Fault f, uint32_t pc, int bytes = 0, int address_reg = -1) {
    fault_exits_.push_back(
        std::make_unique<FaultExit>(FaultExit{Label(), f, pc, bytes, address_reg}));
    return fault_exits_.back()->label;
  }
  void Jcc(Cond c, const Label& l) {
    switch (c) {
      case Cond::kEq:
        je(l, T_NEAR);
        break;
      case Cond::kNe:
        jne(l, T_NEAR);
        break;
      case Cond::kA:
        ja(l, T_NEAR);
        break;
      case Cond::kAe:
        jae(l, T_NEAR);
        break;
      case Cond::kB:
        jb(l, T_NEAR);
        break;
      case Cond::kBe:
        jbe(l, T_NEAR);
        break;
      case Cond::kG:
        jg(l, T_NEAR);
        break;
      case Cond::kGe:
        jge(l, T_NEAR);
        break;
      case Cond::kL:
        jl(l, T_NEAR);
        break;
      case Cond::kLe:
        jle(l, T_NEAR);
        break;
      case Cond::kNz:
        jnz(l, T_NEAR);
        break;
    }
  }
  // Only frames in use are addressable, and each is zeroed as it comes into
  // use, so a program never reads an earlier run's or the host's bytes.
  // Thirty-two 16-byte stores: `rep stos` costs more to start than this.
  void ZeroFrame() {
    pxor(xmm0, xmm0);
    for (int i = 0; i < kStackBytes; i += 16) movdqu(ptr[rbp - kStackBytes + i], xmm0);
  }
  void Insn(size_t pc);
  void Alu(size_t pc);
  void DivMod(const jit::Insn& in, bool is64);
  void Shift(const jit::Insn& in, bool is64);
  void Branch(size_t pc);
  // Spends `cost` of the work budget or stops at `pc`; with `then`, jumps
  // there when the budget holds.
  void Charge(uint64_t cost, size_t pc, const Label* then = nullptr);
  void Call(size_t pc);
  Xbyak::RegExp Address(size_t pc, uint8_t base, int16_t off, int bytes, bool in_r11 = false);
  void LoadStore(size_t pc);
  void Atomic(size_t pc);

  const Program& p_;
  const HelperTable& helpers_;
  const std::vector<bool>* unchecked_;
  bool count_work_;
  std::vector<Label> labels_;
  std::vector<std::unique_ptr<FaultExit>> fault_exits_;
  std::vector<std::unique_ptr<StackCheck>> stack_checks_;
  Label fault_exit_;
  Label epilogue_;
  bool local_calls_ = false;
};

}  // namespace perfkit::jit::x64
