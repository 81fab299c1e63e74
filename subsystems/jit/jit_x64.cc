// The x86-64 JIT, emitted with xbyak (libxbyak-dev): a header-only assembler
// whose mnemonics read like the instructions, so this file never encodes
// bytes by hand, and whose allocator supports write-then-read+execute pages.
// (asmjit would do too; Debian's package is a 2022 snapshot with a shifting
// API, xbyak's API has been stable for years.)
//
// Register map: r0 rax, r1-r5 rdi rsi rdx rcx r8 (the SysV argument
// registers, so helper calls need no moves), r6-r9 rbx r13 r14 r15, r10 rbp.
// r12 holds the run's Context, r9 the work budget, r10/r11 are scratch.
#include <xbyak/xbyak.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "subsystems/jit/jit.h"

namespace perfkit::jit {
namespace {

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

uint64_t Limit(size_t size, int n) { return size >= static_cast<size_t>(n) ? size - n + 1 : 0; }

enum class Cond { kEq, kNe, kA, kAe, kB, kBe, kG, kGe, kL, kLe, kNz };

Cond Inverse(Cond c) {
  switch (c) {
    case Cond::kEq:
      return Cond::kNe;
    case Cond::kNe:
      return Cond::kEq;
    case Cond::kA:
      return Cond::kBe;
    case Cond::kAe:
      return Cond::kB;
    case Cond::kB:
      return Cond::kAe;
    case Cond::kBe:
      return Cond::kA;
    case Cond::kG:
      return Cond::kLe;
    case Cond::kGe:
      return Cond::kL;
    case Cond::kL:
      return Cond::kGe;
    case Cond::kLe:
      return Cond::kG;
    case Cond::kNz:
      return Cond::kEq;  // jz
  }
  return c;
}

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
  Emitter(const Program& p, const HelperTable& h, size_t code_bytes)
      : Xbyak::CodeGenerator(code_bytes, Xbyak::DontSetProtectRWE), p_(p), helpers_(h) {}

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
  void Charge(uint64_t cost, size_t pc);
  void Call(size_t pc);
  void Address(size_t pc, uint8_t base, int16_t off, int bytes);
  void LoadStore(size_t pc);
  void Atomic(size_t pc);

  const Program& p_;
  const HelperTable& helpers_;
  std::vector<Label> labels_;
  std::vector<std::unique_ptr<FaultExit>> fault_exits_;
  std::vector<std::unique_ptr<StackCheck>> stack_checks_;
  Label fault_exit_;
  Label epilogue_;
  bool local_calls_ = false;
};

void Emitter::Build() {
  labels_.resize(p_.size());
  Label& epilogue = epilogue_;
  // Only the callee-saved registers the program writes are saved: r12 (the
  // context) always, rbp when it names r10, rbx and r13-r15 when it names
  // r6-r9; local calls use them all.
  bool& local_calls = local_calls_;
  bool named[16] = {};
  for (const jit::Insn& in : p_) {
    named[in.dst & 0xf] = named[in.src & 0xf] = true;  // may over-count; never under
    local_calls |= ClassOf(in.opcode) == kJmp && OpOf(in.opcode) == kCall && in.src == kCallLocal;
  }
  const bool frames = named[10] || local_calls;
  std::vector<Reg64> saved = {r12};
  if (frames) saved.push_back(rbp);
  for (int bpf : {6, 7, 8, 9}) {
    if (named[bpf] || local_calls) saved.push_back(R(bpf));
  }
  for (const Reg64& r : saved) push(r);
  // The return address and the pushes must leave rsp 16-byte aligned.
  const bool pad = saved.size() % 2 == 0;
  if (pad) sub(rsp, 8);
  mov(r12, rdi);
  mov(qword[r12 + offsetof(Context, saved_rsp)], rsp);
  mov(dword[r12 + offsetof(Context, fault)], 0);
  mov(rdi, qword[r12 + offsetof(Context, mem_lo)]);
  mov(rsi, qword[r12 + offsetof(Context, mem_size)]);
  if (frames) mov(rbp, qword[r12 + offsetof(Context, stack_top)]);
  mov(r9, qword[r12 + offsetof(Context, budget)]);
  // Registers the program has not written read as zero, as in the
  // interpreter (a helper may still be handed one): no host values leak.
  for (const Reg64& r : {rax, rdx, rcx, r8}) xor_(r.cvt32(), r.cvt32());
  for (int bpf : {6, 7, 8, 9}) {
    if (named[bpf] || local_calls) xor_(R(bpf).cvt32(), R(bpf).cvt32());
  }
  // A program that never names r10 cannot reach its frame (local calls
  // name it implicitly, and zero their own frames).
  if (named[10]) ZeroFrame();
  // Local calls return with `ret`, so the program is called; without them
  // it is jumped to and its exits jump back (one call and return fewer).
  if (local_calls) {
    call(labels_[0]);
  } else {
    jmp(labels_[0], T_NEAR);
  }
  L(epilogue);
  if (pad) add(rsp, 8);
  for (auto r = saved.rbegin(); r != saved.rend(); ++r) pop(*r);
  ret();
  // A fault may leave local calls' frames open: the context is put back as
  // a run starts, so an Invocation can call again.
  L(fault_exit_);
  mov(rsp, qword[r12 + offsetof(Context, saved_rsp)]);
  mov(qword[r12 + offsetof(Context, depth)], 0);
  mov(r10, qword[r12 + offsetof(Context, stack_top)]);
  sub(r10, kStackBytes);
  mov(qword[r12 + offsetof(Context, stack_lo)], r10);
  for (int n : {1, 2, 4, 8}) {
    mov(qword[r12 + offsetof(Context, stack_limit) + n * 8],
        static_cast<uint32_t>(Limit(kStackBytes, n)));
  }
  xor_(eax, eax);
  jmp(epilogue, T_NEAR);

  // Loop heads start on a 32-byte boundary, so a loop's speed depends less
  // on where the code lands (the counted loop went from 1.45 to 1.30 us).
  std::vector<bool> loop_head(p_.size(), false);
  for (size_t pc = 0; pc < p_.size(); ++pc) {
    const jit::Insn& in = p_[pc];
    const uint8_t cls = ClassOf(in.opcode);
    const int64_t off = in.opcode == (kJmp32 | kJa) ? in.imm : in.offset;
    if ((cls == kJmp || cls == kJmp32) && OpOf(in.opcode) != kCall && OpOf(in.opcode) != kExit &&
        off < 0) {
      loop_head[static_cast<size_t>(static_cast<int64_t>(pc) + off + 1)] = true;
    }
  }
  for (size_t pc = 0; pc < p_.size(); ++pc) {
    if (loop_head[pc]) align(32);
    L(labels_[pc]);
    if (pc > 0 && p_[pc - 1].opcode == kLddw) continue;
    Insn(pc);
  }
  // Before the fault exits: these add to them.
  for (const auto& c : stack_checks_) {
    L(c->label);
    mov(r10, r11);
    sub(r10, qword[r12 + offsetof(Context, stack_lo)]);
    cmp(r10, qword[r12 + offsetof(Context, stack_limit) + c->bytes * 8]);
    jae(NewFaultExit(Fault::kOutOfBounds, c->pc, c->bytes, r11.getIdx()), T_NEAR);
    jmp(c->back, T_NEAR);
  }
  for (const auto& s : fault_exits_) {
    L(s->label);
    mov(dword[r12 + offsetof(Context, fault)], static_cast<uint32_t>(s->fault));
    mov(dword[r12 + offsetof(Context, fault_pc)], s->pc);
    mov(qword[r12 + offsetof(Context, fault_bytes)], s->bytes);
    if (s->address_reg >= 0) {
      mov(qword[r12 + offsetof(Context, fault_address)], Reg64(s->address_reg));
    }
    jmp(fault_exit_, T_NEAR);
  }
}

void Emitter::Insn(size_t pc) {
  const jit::Insn& in = p_[pc];
  switch (ClassOf(in.opcode)) {
    case kAlu:
    case kAlu64:
      return Alu(pc);
    case kJmp:
    case kJmp32:
      if (OpOf(in.opcode) == kCall) return Call(pc);
      if (OpOf(in.opcode) == kExit) {
        if (local_calls_) return ret();
        return jmp(epilogue_, T_NEAR);
      }
      return Branch(pc);
    case kLd: {
      const uint64_t v =
          static_cast<uint32_t>(in.imm) | uint64_t{static_cast<uint32_t>(p_[pc + 1].imm)} << 32;
      mov(R(in.dst), v);
      return;
    }
    default:
      if (ClassOf(in.opcode) == kStx && ModeOf(in.opcode) == kAtomic) return Atomic(pc);
      return LoadStore(pc);
  }
}

void Emitter::Alu(size_t pc) {
  const jit::Insn& in = p_[pc];
  const bool is64 = ClassOf(in.opcode) == kAlu64;
  const bool x = SourceOf(in.opcode) == kX;
  const Reg64& d64 = R(in.dst);
  const Reg32 d32 = d64.cvt32();
  const Reg64& s64 = R(in.src);
  const Reg32 s32 = s64.cvt32();
  const uint8_t op = OpOf(in.opcode);
  switch (op) {
    case kDiv:
    case kMod:
      return DivMod(in, is64);
    case kLsh:
    case kRsh:
    case kArsh:
      if (x) return Shift(in, is64);
      {
        const int n = in.imm & (is64 ? 63 : 31);
        const Xbyak::Operand& d = is64 ? static_cast<const Xbyak::Operand&>(d64) : d32;
        if (op == kLsh) shl(d, n);
        if (op == kRsh) shr(d, n);
        if (op == kArsh) sar(d, n);
        if (!is64 && n == 0) mov(d32, d32);  // a zero-count shift leaves the upper half
      }
      return;
    case kNeg:
      if (is64) {
        neg(d64);
      } else {
        neg(d32);
      }
      return;
    case kEnd: {
      const bool swap = is64 || x;  // be and bswap swap; le only truncates
      if (in.imm == 16) {
        if (swap) ror(d64.cvt16(), 8);
        movzx(d32, d64.cvt16());
      } else if (in.imm == 32) {
        if (swap) {
          bswap(d32);
        } else {
          mov(d32, d32);
        }
      } else if (swap) {
        bswap(d64);
      }
      return;
    }
    case kMov:
      if (x) {
        if (in.offset == 8) {
          if (is64) {
            movsx(d64, s64.cvt8());
          } else {
            movsx(d32, s64.cvt8());
          }
        } else if (in.offset == 16) {
          if (is64) {
            movsx(d64, s64.cvt16());
          } else {
            movsx(d32, s64.cvt16());
          }
        } else if (in.offset == 32) {
          movsxd(d64, s32);
        } else if (is64) {
          mov(d64, s64);
        } else {
          mov(d32, s32);
        }
      } else if (is64) {
        mov(d64, static_cast<uint64_t>(static_cast<int64_t>(in.imm)));
      } else {
        mov(d32, static_cast<uint32_t>(in.imm));
      }
      return;
    default:
      break;
  }
  // add sub mul or and xor
  const Xbyak::Operand& d = is64 ? static_cast<const Xbyak::Operand&>(d64) : d32;
  const Xbyak::Operand& s = is64 ? static_cast<const Xbyak::Operand&>(s64) : s32;
  const int imm = in.imm;  // xbyak sign-extends a 32-bit immediate, as eBPF does
  switch (op) {
    case kAdd:
      x ? add(d, s) : add(d, imm);
      break;
    case kSub:
      x ? sub(d, s) : sub(d, imm);
      break;
    case kOr:
      x ? or_(d, s) : or_(d, imm);
      break;
    case kAnd:
      x ? and_(d, s) : and_(d, imm);
      break;
    case kXor:
      x ? xor_(d, s) : xor_(d, imm);
      break;
    case kMul:
      if (x) {
        imul(static_cast<const Xbyak::Reg&>(d), s);
      } else {
        imul(static_cast<const Xbyak::Reg&>(d), d, static_cast<int>(in.imm));
      }
      break;
  }
}

// x86 shifts by register take the count in cl, which is bpf r4: borrow it.
void Emitter::Shift(const jit::Insn& in, bool is64) {
  const uint8_t op = OpOf(in.opcode);
  mov(r10, R(in.dst));
  mov(r11, rcx);
  mov(rcx, R(in.src));
  const Xbyak::Operand& v = is64 ? static_cast<const Xbyak::Operand&>(r10) : r10d;
  if (op == kLsh) shl(v, cl);
  if (op == kRsh) shr(v, cl);
  if (op == kArsh) sar(v, cl);
  mov(rcx, r11);
  if (is64) {
    mov(R(in.dst), r10);
  } else {
    mov(R(in.dst).cvt32(), r10d);
  }
}

// x86 divides rdx:rax, which are bpf r3 and r0: save them around it.
void Emitter::DivMod(const jit::Insn& in, bool is64) {
  const bool mod = OpOf(in.opcode) == kMod;
  const bool is_signed = in.offset == 1;
  const Reg64& d64 = R(in.dst);
  const Reg32 d32 = d64.cvt32();
  if (SourceOf(in.opcode) == kX) {
    if (is64) {
      mov(r11, R(in.src));
    } else {
      mov(r11d, R(in.src).cvt32());
    }
  } else if (is64) {
    mov(r11, static_cast<uint64_t>(static_cast<int64_t>(in.imm)));
  } else {
    mov(r11d, static_cast<uint32_t>(in.imm));
  }
  Label zero, normal, done;
  if (is64) {
    test(r11, r11);
  } else {
    test(r11d, r11d);
  }
  jz(zero, T_NEAR);
  if (is_signed) {
    if (is64) {
      cmp(r11, -1);
    } else {
      cmp(r11d, -1);
    }
    jne(normal, T_NEAR);
    // x / -1 = -x (INT_MIN wraps to itself, where idiv would trap); x % -1 = 0.
    if (mod) {
      xor_(d32, d32);
    } else if (is64) {
      neg(d64);
    } else {
      neg(d32);
    }
    jmp(done, T_NEAR);
  }
  L(normal);
  push(rax);
  push(rdx);
  if (is64) {
    mov(rax, d64);
    if (is_signed) {
      cqo();
      idiv(r11);
    } else {
      xor_(edx, edx);
      div(r11);
    }
    mov(r10, mod ? rdx : rax);
  } else {
    mov(eax, d32);
    if (is_signed) {
      cdq();
      idiv(r11d);
    } else {
      xor_(edx, edx);
      div(r11d);
    }
    mov(r10d, mod ? edx : eax);
  }
  pop(rdx);
  pop(rax);
  mov(d64, r10);
  jmp(done, T_NEAR);
  L(zero);  // x / 0 = 0; x % 0 = x (its low half for 32-bit)
  if (!mod) {
    xor_(d32, d32);
  } else if (!is64) {
    mov(d32, d32);
  }
  L(done);
}

void Emitter::Branch(size_t pc) {
  const jit::Insn& in = p_[pc];
  const bool is32 = ClassOf(in.opcode) == kJmp32;
  const uint8_t op = OpOf(in.opcode);
  const int64_t off = in.opcode == (kJmp32 | kJa) ? in.imm : in.offset;
  const size_t target = static_cast<size_t>(static_cast<int64_t>(pc) + off + 1);
  const bool back = off < 0;
  if (op == kJa) {
    if (back) Charge(static_cast<uint64_t>(-off), pc);
    jmp(labels_[target], T_NEAR);
    return;
  }
  const Reg64& d64 = R(in.dst);
  const bool x = SourceOf(in.opcode) == kX;
  const Xbyak::Operand& d = is32 ? static_cast<const Xbyak::Operand&>(d64.cvt32()) : d64;
  const Xbyak::Operand& s =
      is32 ? static_cast<const Xbyak::Operand&>(R(in.src).cvt32()) : R(in.src);
  if (op == kJset) {
    if (x) {
      test(d, static_cast<const Xbyak::Reg&>(s));
    } else {
      test(d, in.imm);
    }
  } else if (x) {
    cmp(d, s);
  } else {
    cmp(d, in.imm);
  }
  Cond c = Cond::kEq;
  switch (op) {
    case kJeq:
      c = Cond::kEq;
      break;
    case kJne:
      c = Cond::kNe;
      break;
    case kJgt:
      c = Cond::kA;
      break;
    case kJge:
      c = Cond::kAe;
      break;
    case kJlt:
      c = Cond::kB;
      break;
    case kJle:
      c = Cond::kBe;
      break;
    case kJsgt:
      c = Cond::kG;
      break;
    case kJsge:
      c = Cond::kGe;
      break;
    case kJslt:
      c = Cond::kL;
      break;
    case kJsle:
      c = Cond::kLe;
      break;
    case kJset:
      c = Cond::kNz;
      break;
  }
  if (!back) {
    Jcc(c, labels_[target]);
    return;
  }
  Label skip;
  Jcc(Inverse(c), skip);
  Charge(static_cast<uint64_t>(-off), pc);
  jmp(labels_[target], T_NEAR);
  L(skip);
}

// Spends `cost` units of the work budget (vm.h), or stops at `pc`.
void Emitter::Charge(uint64_t cost, size_t pc) {
  if (cost <= 0x7fffffff) {
    sub(r9, static_cast<uint32_t>(cost));
  } else {
    mov(r10, cost);
    sub(r9, r10);
  }
  jb(NewFaultExit(Fault::kBudget, static_cast<uint32_t>(pc)), T_NEAR);
}

void Emitter::Call(size_t pc) {
  const jit::Insn& in = p_[pc];
  if (in.src == kCallLocal && SourceOf(in.opcode) == kK) {
    Charge(p_.size() + 1, pc);
    mov(r10, qword[r12 + offsetof(Context, depth)]);
    add(r10, 1);
    cmp(r10, kMaxCallDepth);
    jae(NewFaultExit(Fault::kCallDepth, static_cast<uint32_t>(pc)), T_NEAR);
    mov(qword[r12 + offsetof(Context, depth)], r10);
    push(rbx);
    push(r13);
    push(r14);
    push(r15);
    push(rbp);
    sub(rbp, kStackBytes);
    // The callee's frame becomes addressable, zeroed (see Run()).
    sub(qword[r12 + offsetof(Context, stack_lo)], kStackBytes);
    for (int n : {1, 2, 4, 8})
      add(qword[r12 + offsetof(Context, stack_limit) + n * 8], kStackBytes);
    ZeroFrame();
    call(labels_[static_cast<size_t>(static_cast<int64_t>(pc) + in.imm + 1)]);
    add(qword[r12 + offsetof(Context, stack_lo)], kStackBytes);
    for (int n : {1, 2, 4, 8})
      sub(qword[r12 + offsetof(Context, stack_limit) + n * 8], kStackBytes);
    pop(rbp);
    pop(r15);
    pop(r14);
    pop(r13);
    pop(rbx);
    sub(qword[r12 + offsetof(Context, depth)], 1);
    return;
  }
  if (SourceOf(in.opcode) == kX) {  // callx: the helper id is in dst
    Label& bad = NewFaultExit(Fault::kBadHelper, static_cast<uint32_t>(pc), 0, R(in.dst).getIdx());
    cmp(R(in.dst), HelperTable::kMaxHelpers);
    jae(bad, T_NEAR);
    mov(r11, reinterpret_cast<uintptr_t>(helpers_.data()));
    mov(r11, qword[r11 + R(in.dst) * 8]);
    test(r11, r11);
    jz(bad, T_NEAR);
  } else {
    mov(r11, reinterpret_cast<uintptr_t>(helpers_.Find(in.imm)));
  }
  // Helpers are C functions: align the stack and keep the budget (r9).
  mov(r10, rsp);
  and_(rsp, -16);
  push(r10);
  push(r9);
  call(r11);
  pop(r9);
  pop(rsp);
  // The verifier forbids reading r1-r5 after a call, but they could still be
  // passed on to callx: zero them rather than hand over whatever the C
  // function left in its argument registers.
  for (const Reg64& r : {rdi, rsi, rdx, rcx, r8}) xor_(r.cvt32(), r.cvt32());
}

// Leaves the effective address in r11, checked against the memory and the
// stack unless the base is r10 (the verifier bounded those offsets).
void Emitter::Address(size_t pc, uint8_t base, int16_t off, int bytes) {
  lea(r11, ptr[R(base) + off]);
  if (base == 10) return;
  stack_checks_.push_back(
      std::make_unique<StackCheck>(StackCheck{Label(), Label(), static_cast<uint32_t>(pc), bytes}));
  StackCheck& check = *stack_checks_.back();
  mov(r10, r11);
  sub(r10, qword[r12 + offsetof(Context, mem_lo)]);
  cmp(r10, qword[r12 + offsetof(Context, mem_limit) + bytes * 8]);
  jae(check.label, T_NEAR);
  L(check.back);
}

void Emitter::LoadStore(size_t pc) {
  const jit::Insn& in = p_[pc];
  const uint8_t cls = ClassOf(in.opcode);
  const int bytes = SizeBytes(in.opcode);
  const Reg64& d = R(in.dst);
  const Reg64& s = R(in.src);
  if (cls == kLdx) {
    Address(pc, in.src, in.offset, bytes);
    const bool sx = ModeOf(in.opcode) == kMemSx;
    switch (bytes) {
      case 1:
        sx ? movsx(d, byte[r11]) : movzx(d.cvt32(), byte[r11]);
        break;
      case 2:
        sx ? movsx(d, word[r11]) : movzx(d.cvt32(), word[r11]);
        break;
      case 4:
        sx ? movsxd(d, dword[r11]) : mov(d.cvt32(), dword[r11]);
        break;
      default:
        mov(d, qword[r11]);
    }
    return;
  }
  Address(pc, in.dst, in.offset, bytes);
  if (cls == kSt) {
    const int imm = in.imm;
    switch (bytes) {
      case 1:
        mov(byte[r11], imm & 0xff);
        break;
      case 2:
        mov(word[r11], imm & 0xffff);
        break;
      case 4:
        mov(dword[r11], imm);
        break;
      default:
        mov(qword[r11], imm);  // sign-extended, as the ISA says
    }
    return;
  }
  switch (bytes) {
    case 1:
      mov(byte[r11], s.cvt8());
      break;
    case 2:
      mov(word[r11], s.cvt16());
      break;
    case 4:
      mov(dword[r11], s.cvt32());
      break;
    default:
      mov(qword[r11], s);
  }
}

void Emitter::Atomic(size_t pc) {
  const jit::Insn& in = p_[pc];
  const int bytes = SizeBytes(in.opcode);
  const bool is64 = bytes == 8;
  Address(pc, in.dst, in.offset, bytes);
  test(r11b, bytes - 1);
  jnz(NewFaultExit(Fault::kMisaligned, static_cast<uint32_t>(pc), bytes, r11.getIdx()), T_NEAR);
  const Reg64& s64 = R(in.src);
  const Xbyak::Reg& s = is64 ? static_cast<const Xbyak::Reg&>(s64) : s64.cvt32();
  const Xbyak::Address m = is64 ? qword[r11] : dword[r11];
  const int32_t op = in.imm & ~kFetch;
  const bool fetch = in.imm & kFetch;
  if (in.imm == kXchg) {
    xchg(m, s);
    return;
  }
  if (in.imm == kCmpXchg) {
    lock();
    cmpxchg(m, s);
    if (!is64) mov(eax, eax);
    return;
  }
  if (op == kAdd) {
    lock();
    if (fetch) {
      xadd(m, s);
    } else {
      add(m, s);
    }
    return;
  }
  if (!fetch) {
    lock();
    if (op == kOr) or_(m, s);
    if (op == kAnd) and_(m, s);
    if (op == kXor) xor_(m, s);
    return;
  }
  // Fetching or/and/xor: a compare-exchange loop, which needs rax (r0).
  push(s64);
  push(rax);
  const Xbyak::Reg& acc = is64 ? static_cast<const Xbyak::Reg&>(rax) : eax;
  const Xbyak::Reg& t = is64 ? static_cast<const Xbyak::Reg&>(r10) : r10d;
  const Xbyak::Address operand = is64 ? qword[rsp + 8] : dword[rsp + 8];
  mov(acc, m);
  Label retry;
  L(retry);
  mov(t, acc);
  if (op == kOr) or_(t, operand);
  if (op == kAnd) and_(t, operand);
  if (op == kXor) xor_(t, operand);
  lock();
  cmpxchg(m, t);
  jne(retry, T_NEAR);
  mov(t, acc);
  pop(rax);
  add(rsp, 8);
  mov(s64, r10);
}

void InitContext(Context& ctx, Memory memory, const RunOptions& options) {
  ctx.mem_lo = reinterpret_cast<uintptr_t>(memory.data);
  ctx.mem_size = memory.size;
  ctx.stack_top =
      reinterpret_cast<uintptr_t>(options.stack != nullptr ? options.stack : ctx.stack) +
      kStackRegionBytes;
  ctx.stack_lo = ctx.stack_top - kStackBytes;  // the code zeroes the frame
  ctx.budget = options.work_budget;
  ctx.depth = 0;
  ctx.fault = 0;
  for (int n : {1, 2, 4, 8}) {
    ctx.mem_limit[n] = Limit(memory.size, n);
    ctx.stack_limit[n] = Limit(kStackBytes, n);
  }
}

Status FaultOf(const Context& ctx) {
  return Status::Error(DescribeFault(static_cast<Fault>(ctx.fault), ctx.fault_pc, ctx.fault_address,
                                     static_cast<int>(ctx.fault_bytes)));
}

class X64Program : public CompiledProgram {
 public:
  explicit X64Program(std::unique_ptr<Emitter> code) : code_(std::move(code)) {
    fn_ = code_->getCode<uint64_t (*)(void*)>();
  }
  Result<uint64_t> Run(Memory memory, const RunOptions& options) const override {
    Context ctx;
    InitContext(ctx, memory, options);
    const uint64_t r0 = fn_(&ctx);
    if (ctx.fault != 0) return FaultOf(ctx);
    return r0;
  }
  size_t code_bytes() const override { return code_->getSize(); }
  Entry entry() const override { return fn_; }

 private:
  std::unique_ptr<Emitter> code_;
  Entry fn_;
};

}  // namespace

Invocation::Invocation(const CompiledProgram& program, Memory memory, const RunOptions& options)
    : entry_(program.entry()), context_(new Context) {
  InitContext(*static_cast<Context*>(context_), memory, options);
}

Invocation::~Invocation() { delete static_cast<Context*>(context_); }

bool Invocation::faulted() const { return static_cast<const Context*>(context_)->fault != 0; }

Status Invocation::FaultStatus() const {
  const auto& ctx = *static_cast<const Context*>(context_);
  return ctx.fault == 0 ? Status() : FaultOf(ctx);
}

const char* JitUnavailableReason() { return ""; }

Result<std::unique_ptr<CompiledProgram>> Compile(const Program& program,
                                                 const HelperTable& helpers) {
  // What an instruction needs varies a lot (a local call zeroes a whole
  // frame inline): start from a typical size and double until it fits.
  constexpr size_t kMaxCodeBytes = size_t{1} << 30;
  for (size_t bytes = program.size() * 160 + 4096;; bytes *= 2) {
    try {
      auto code = std::make_unique<Emitter>(program, helpers, bytes);
      code->Build();
      code->ready();             // every label defined
      code->setProtectModeRE();  // written, now read+execute: never writable and executable
      return std::unique_ptr<CompiledProgram>(new X64Program(std::move(code)));
    } catch (const Xbyak::Error& e) {
      if (static_cast<int>(e) != Xbyak::ERR_CODE_IS_TOO_BIG || bytes >= kMaxCodeBytes) {
        return Status::Error(std::string("jit: ") + e.what());
      }
    }
  }
}

}  // namespace perfkit::jit
