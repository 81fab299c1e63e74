#include "subsystems/jit/jit_x64_emitter.h"

namespace perfkit::jit::x64 {

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
  const int64_t off = JumpOffset(in);
  const size_t target = static_cast<size_t>(static_cast<int64_t>(pc) + off + 1);
  const bool back = off < 0 && count_work_;  // a back edge that charges the budget
  if (op == kJa) {
    if (back) return Charge(static_cast<uint64_t>(-off), pc, &labels_[target]);
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
  Charge(static_cast<uint64_t>(-off), pc, &labels_[target]);
  L(skip);
}

}  // namespace perfkit::jit::x64
