#include <cstring>

#include "subsystems/jit/jit_x64_emitter.h"

namespace perfkit::jit::x64 {

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
    const int64_t off = JumpOffset(in);
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

void Emitter::Charge(uint64_t cost, size_t pc, const Label* then) {
  if (cost <= 0x7fffffff) {
    sub(r9, static_cast<uint32_t>(cost));
  } else {
    mov(r10, cost);
    sub(r9, r10);
  }
  Label& out = NewFaultExit(Fault::kBudget, static_cast<uint32_t>(pc));
  if (then == nullptr) {
    jb(out, T_NEAR);
    return;
  }
  // A back edge: the jump back is the budget's branch, so a loop pays one
  // branch for both (a loop's branches, not its work, bounded sieve: 1.94
  // against 1.46 us without any charge, on Zen 4).
  jae(*then, T_NEAR);
  jmp(out, T_NEAR);
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

// The effective address: r11, checked against the memory and the stack,
// unless the base is r10 (the verifier bounded those offsets) or the access
// was proven in bounds (ranges.h); those address base + offset directly.
// Atomics always get r11 (their alignment is tested on it).
Xbyak::RegExp Emitter::Address(size_t pc, uint8_t base, int16_t off, int bytes, bool in_r11) {
  const bool unchecked = base == 10 || (unchecked_ != nullptr && (*unchecked_)[pc]);
  if (unchecked && !in_r11) return R(base) + off;
  lea(r11, ptr[R(base) + off]);
  if (unchecked) return r11;
  stack_checks_.push_back(
      std::make_unique<StackCheck>(StackCheck{Label(), Label(), static_cast<uint32_t>(pc), bytes}));
  StackCheck& check = *stack_checks_.back();
  mov(r10, r11);
  sub(r10, qword[r12 + offsetof(Context, mem_lo)]);
  cmp(r10, qword[r12 + offsetof(Context, mem_limit) + bytes * 8]);
  jae(check.label, T_NEAR);
  L(check.back);
  return r11;
}

void Emitter::LoadStore(size_t pc) {
  const jit::Insn& in = p_[pc];
  const uint8_t cls = ClassOf(in.opcode);
  const int bytes = SizeBytes(in.opcode);
  const Reg64& d = R(in.dst);
  const Reg64& s = R(in.src);
  if (cls == kLdx) {
    const Xbyak::RegExp a = Address(pc, in.src, in.offset, bytes);
    const bool sx = ModeOf(in.opcode) == kMemSx;
    switch (bytes) {
      case 1:
        sx ? movsx(d, byte[a]) : movzx(d.cvt32(), byte[a]);
        break;
      case 2:
        sx ? movsx(d, word[a]) : movzx(d.cvt32(), word[a]);
        break;
      case 4:
        sx ? movsxd(d, dword[a]) : mov(d.cvt32(), dword[a]);
        break;
      default:
        mov(d, qword[a]);
    }
    return;
  }
  const Xbyak::RegExp a = Address(pc, in.dst, in.offset, bytes);
  if (cls == kSt) {
    const int imm = in.imm;
    switch (bytes) {
      case 1:
        mov(byte[a], imm & 0xff);
        break;
      case 2:
        mov(word[a], imm & 0xffff);
        break;
      case 4:
        mov(dword[a], imm);
        break;
      default:
        mov(qword[a], imm);  // sign-extended, as the ISA says
    }
    return;
  }
  switch (bytes) {
    case 1:
      mov(byte[a], s.cvt8());
      break;
    case 2:
      mov(word[a], s.cvt16());
      break;
    case 4:
      mov(dword[a], s.cvt32());
      break;
    default:
      mov(qword[a], s);
  }
}

void Emitter::Atomic(size_t pc) {
  const jit::Insn& in = p_[pc];
  const int bytes = SizeBytes(in.opcode);
  const bool is64 = bytes == 8;
  Address(pc, in.dst, in.offset, bytes, /*in_r11=*/true);
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

}  // namespace perfkit::jit::x64
