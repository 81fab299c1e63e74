// A threaded interpreter: every handler ends in an indirect jump through a
// table of label addresses (GCC's computed goto), so each instruction has its
// own dispatch branch for the predictor instead of one shared switch.
#include <atomic>
#include <cstring>
#include <mutex>

#include "subsystems/jit/vm.h"

namespace perfkit::jit {
namespace {

struct Frame {
  uint32_t return_pc;
  uint64_t saved[5];  // r6..r10
};

uint64_t Limit(size_t size, int n) { return size >= static_cast<size_t>(n) ? size - n + 1 : 0; }

template <typename T>
T Load(uint64_t a) {
  T v;
  std::memcpy(&v, reinterpret_cast<const void*>(a), sizeof v);
  return v;
}
template <typename T>
void Store(uint64_t a, T v) {
  std::memcpy(reinterpret_cast<void*>(a), &v, sizeof v);
}

uint64_t Bswap(uint64_t v, int32_t bits) {
  switch (bits) {
    case 16:
      return __builtin_bswap16(static_cast<uint16_t>(v));
    case 32:
      return __builtin_bswap32(static_cast<uint32_t>(v));
    default:
      return __builtin_bswap64(v);
  }
}
uint64_t Truncate(uint64_t v, int32_t bits) {
  switch (bits) {
    case 16:
      return static_cast<uint16_t>(v);
    case 32:
      return static_cast<uint32_t>(v);
    default:
      return v;
  }
}

template <typename U, typename S>
U SignedDiv(U a, U b) {
  if (b == 0) return 0;
  if (static_cast<S>(b) == -1) return static_cast<U>(U{0} - a);  // INT_MIN / -1 wraps to INT_MIN
  return static_cast<U>(static_cast<S>(a) / static_cast<S>(b));
}
template <typename U, typename S>
U SignedMod(U a, U b) {
  if (b == 0) return a;
  if (static_cast<S>(b) == -1) return 0;
  return static_cast<U>(static_cast<S>(a) % static_cast<S>(b));
}

template <typename T>
T AtomicOp(uint64_t address, int32_t op, T src, T* old, T expected, bool* stored) {
  T* p = reinterpret_cast<T*>(address);
  *stored = true;
  switch (op & ~kFetch) {
    case kAdd:
      *old = __atomic_fetch_add(p, src, __ATOMIC_SEQ_CST);
      break;
    case kOr:
      *old = __atomic_fetch_or(p, src, __ATOMIC_SEQ_CST);
      break;
    case kAnd:
      *old = __atomic_fetch_and(p, src, __ATOMIC_SEQ_CST);
      break;
    case kXor:
      *old = __atomic_fetch_xor(p, src, __ATOMIC_SEQ_CST);
      break;
    case kXchg & ~kFetch:
      *old = __atomic_exchange_n(p, src, __ATOMIC_SEQ_CST);
      break;
    default:  // cmpxchg
      *old = expected;
      *stored = __atomic_compare_exchange_n(p, old, src, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  }
  return *old;
}

}  // namespace

Result<uint64_t> Interpret(const Program& program, const HelperTable& helpers, Memory memory,
                           const RunOptions& options) {
  // Label addresses exist only inside this function, so the table is filled
  // here, once; later calls pay one acquire load.
  static const void* table[256];
  static std::atomic<bool> table_ready{false};
  static std::mutex table_mu;
  if (!table_ready.load(std::memory_order_acquire)) {
    std::lock_guard lock(table_mu);
    if (!table_ready.load(std::memory_order_relaxed)) {
      for (auto& t : table) t = &&bad;
// Four entries per operation: 32/64-bit (jmp32/jmp) x immediate/register.
// The arguments are pasted into label names, which cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PK_FOUR(narrow, wide, op, name)   \
  table[narrow | kK | op] = &&name##32_k; \
  table[narrow | kX | op] = &&name##32_x; \
  table[wide | kK | op] = &&name##64_k;   \
  table[wide | kX | op] = &&name##64_x
      PK_FOUR(kAlu, kAlu64, kAdd, add);
      PK_FOUR(kAlu, kAlu64, kSub, sub);
      PK_FOUR(kAlu, kAlu64, kMul, mul);
      PK_FOUR(kAlu, kAlu64, kDiv, div);
      PK_FOUR(kAlu, kAlu64, kOr, or_);
      PK_FOUR(kAlu, kAlu64, kAnd, and_);
      PK_FOUR(kAlu, kAlu64, kLsh, lsh);
      PK_FOUR(kAlu, kAlu64, kRsh, rsh);
      PK_FOUR(kAlu, kAlu64, kMod, mod);
      PK_FOUR(kAlu, kAlu64, kXor, xor_);
      PK_FOUR(kAlu, kAlu64, kMov, mov);
      PK_FOUR(kAlu, kAlu64, kArsh, arsh);
      PK_FOUR(kJmp32, kJmp, kJeq, jeq);
      PK_FOUR(kJmp32, kJmp, kJgt, jgt);
      PK_FOUR(kJmp32, kJmp, kJge, jge);
      PK_FOUR(kJmp32, kJmp, kJset, jset);
      PK_FOUR(kJmp32, kJmp, kJne, jne);
      PK_FOUR(kJmp32, kJmp, kJsgt, jsgt);
      PK_FOUR(kJmp32, kJmp, kJsge, jsge);
      PK_FOUR(kJmp32, kJmp, kJlt, jlt);
      PK_FOUR(kJmp32, kJmp, kJle, jle);
      PK_FOUR(kJmp32, kJmp, kJslt, jslt);
      PK_FOUR(kJmp32, kJmp, kJsle, jsle);
#undef PK_FOUR
      table[kAlu | kNeg] = &&neg32;
      table[kAlu64 | kNeg] = &&neg64;
      table[kAlu | kK | kEnd] = &&le;
      table[kAlu | kX | kEnd] = &&be;
      table[kAlu64 | kK | kEnd] = &&bswap;
      table[kJmp | kJa] = &&ja;
      table[kJmp32 | kJa] = &&ja32;
      table[kJmp | kCall] = &&call;
      table[kJmp | kX | kCall] = &&callx;
      table[kJmp | kExit] = &&exit;
      table[kLddw] = &&lddw;
#define PK_MEM(size, name)                  \
  table[kLdx | kMem | size] = &&ldx_##name; \
  table[kSt | kMem | size] = &&st_##name;   \
  table[kStx | kMem | size] = &&stx_##name
      PK_MEM(kB, b);
      PK_MEM(kH, h);
      PK_MEM(kW, w);
      PK_MEM(kDW, dw);
#undef PK_MEM
      // NOLINTEND(bugprone-macro-parentheses)
      table[kLdx | kMemSx | kB] = &&ldxs_b;
      table[kLdx | kMemSx | kH] = &&ldxs_h;
      table[kLdx | kMemSx | kW] = &&ldxs_w;
      table[kStx | kAtomic | kW] = &&atomic_w;
      table[kStx | kAtomic | kDW] = &&atomic_dw;
      table_ready.store(true, std::memory_order_release);
    }
  }

  alignas(16) uint8_t own_stack[kStackRegionBytes];
  uint8_t* const stack = options.stack != nullptr ? options.stack : own_stack;
  Frame frames[kMaxCallDepth];
  int depth = 0;
  uint64_t reg[16] = {};
  reg[1] = reinterpret_cast<uintptr_t>(memory.data);
  reg[2] = memory.size;
  reg[10] = reinterpret_cast<uintptr_t>(stack + kStackRegionBytes);
  const uint64_t mem_lo = reg[1];
  // Only frames in use are addressable, and each is zeroed when it comes into
  // use: a program never reads an earlier run's or the host's bytes.
  uint64_t stack_lo = reg[10] - kStackBytes;
  internal::ZeroFrame(reinterpret_cast<uint8_t*>(stack_lo));
  const uint64_t mem_limit[9] = {
      0, Limit(memory.size, 1), Limit(memory.size, 2), 0, Limit(memory.size, 4), 0, 0,
      0, Limit(memory.size, 8)};
  uint64_t stack_limit[9] = {
      0, Limit(kStackBytes, 1), Limit(kStackBytes, 2), 0, Limit(kStackBytes, 4), 0, 0,
      0, Limit(kStackBytes, 8)};
  auto grow_stack = [&](int64_t bytes) {
    stack_lo -= bytes;
    for (int n : {1, 2, 4, 8}) stack_limit[n] += bytes;
  };
  uint64_t budget = options.work_budget;
  const uint64_t call_cost = program.size() + 1;
  const Insn* const insns = program.data();
  const Insn* insn = insns;
  uint64_t address = 0;
  int bytes = 0;
  Fault fault = Fault::kNone;

#define PC static_cast<uint32_t>(insn - insns)
#define NEXT()                 \
  do {                         \
    ++insn;                    \
    goto* table[insn->opcode]; \
  } while (0)
#define DST reg[insn->dst]
#define SRC reg[insn->src]
#define IMM64 static_cast<uint64_t>(static_cast<int64_t>(insn->imm))
#define IMM32 static_cast<uint32_t>(insn->imm)
#define CHECK_ADDRESS(a, n)                                                          \
  do {                                                                               \
    address = (a);                                                                   \
    if (!(address - mem_lo < mem_limit[n] || address - stack_lo < stack_limit[n])) { \
      bytes = (n);                                                                   \
      fault = Fault::kOutOfBounds;                                                   \
      goto fail;                                                                     \
    }                                                                                \
  } while (0)

  goto* table[insn->opcode];

#define ALU(name, expr64, expr32)                                                  \
  name##64_k : {                                                                   \
    const uint64_t a = DST, b = IMM64;                                             \
    DST = (expr64);                                                                \
    NEXT();                                                                        \
  }                                                                                \
  name##64_x : {                                                                   \
    const uint64_t a = DST, b = SRC;                                               \
    DST = (expr64);                                                                \
    NEXT();                                                                        \
  }                                                                                \
  name##32_k : {                                                                   \
    const uint32_t a = static_cast<uint32_t>(DST), b = IMM32;                      \
    DST = static_cast<uint32_t>(expr32);                                           \
    NEXT();                                                                        \
  }                                                                                \
  name##32_x : {                                                                   \
    const uint32_t a = static_cast<uint32_t>(DST), b = static_cast<uint32_t>(SRC); \
    DST = static_cast<uint32_t>(expr32);                                           \
    NEXT();                                                                        \
  }
  ALU(add, a + b, a + b)
  ALU(sub, a - b, a - b)
  ALU(mul, a * b, a * b)
  ALU(or_, a | b, a | b)
  ALU(and_, a & b, a & b)
  ALU(xor_, a ^ b, a ^ b)
  ALU(lsh, a << (b & 63), a << (b & 31))
  ALU(rsh, a >> (b & 63), a >> (b & 31))
  ALU(arsh, static_cast<uint64_t>(static_cast<int64_t>(a) >> (b & 63)),
      static_cast<uint32_t>(static_cast<int32_t>(a) >> (b & 31)))
  // offset 1 selects the signed forms (sdiv, smod); division by zero gives 0
  // and modulo by zero keeps the dividend, as RFC 9669 says.
  ALU(div, (insn->offset ? SignedDiv<uint64_t, int64_t>(a, b) : (b ? a / b : 0)),
      (insn->offset ? SignedDiv<uint32_t, int32_t>(a, b) : (b ? a / b : 0)))
  ALU(mod, (insn->offset ? SignedMod<uint64_t, int64_t>(a, b) : (b ? a % b : a)),
      (insn->offset ? SignedMod<uint32_t, int32_t>(a, b) : (b ? a % b : a)))
  // offset 8/16/32 selects movsx.
  ALU(mov,
      insn->offset == 8    ? static_cast<uint64_t>(static_cast<int8_t>(b))
      : insn->offset == 16 ? static_cast<uint64_t>(static_cast<int16_t>(b))
      : insn->offset == 32 ? static_cast<uint64_t>(static_cast<int32_t>(b))
                           : (static_cast<void>(a), b),
      insn->offset == 8    ? static_cast<uint32_t>(static_cast<int8_t>(b))
      : insn->offset == 16 ? static_cast<uint32_t>(static_cast<int16_t>(b))
                           : (static_cast<void>(a), b))
#undef ALU

neg64:
  DST = uint64_t{0} - DST;
  NEXT();
neg32:
  DST = static_cast<uint32_t>(0u - static_cast<uint32_t>(DST));
  NEXT();
le:
  DST = Truncate(DST, insn->imm);
  NEXT();
be:
bswap:
  DST = Bswap(DST, insn->imm);
  NEXT();
lddw:
  DST = static_cast<uint32_t>(insn[0].imm) | (uint64_t{static_cast<uint32_t>(insn[1].imm)} << 32);
  ++insn;
  NEXT();

#define JUMP(offset)                       \
  do {                                     \
    const int32_t off = (offset);          \
    if (off < 0) {                         \
      const uint64_t cost = -int64_t{off}; \
      if (budget < cost) {                 \
        fault = Fault::kBudget;            \
        goto fail;                         \
      }                                    \
      budget -= cost;                      \
    }                                      \
    insn += off + 1;                       \
    goto* table[insn->opcode];             \
  } while (0)
#define COND(name, cond64, cond32)                                                 \
  name##64_k : {                                                                   \
    const uint64_t a = DST, b = IMM64;                                             \
    if (cond64) JUMP(insn->offset);                                                \
    NEXT();                                                                        \
  }                                                                                \
  name##64_x : {                                                                   \
    const uint64_t a = DST, b = SRC;                                               \
    if (cond64) JUMP(insn->offset);                                                \
    NEXT();                                                                        \
  }                                                                                \
  name##32_k : {                                                                   \
    const uint32_t a = static_cast<uint32_t>(DST), b = IMM32;                      \
    if (cond32) JUMP(insn->offset);                                                \
    NEXT();                                                                        \
  }                                                                                \
  name##32_x : {                                                                   \
    const uint32_t a = static_cast<uint32_t>(DST), b = static_cast<uint32_t>(SRC); \
    if (cond32) JUMP(insn->offset);                                                \
    NEXT();                                                                        \
  }
#define S64(x) static_cast<int64_t>(x)
#define S32(x) static_cast<int32_t>(x)
  COND(jeq, a == b, a == b)
  COND(jne, a != b, a != b)
  COND(jgt, a > b, a > b)
  COND(jge, a >= b, a >= b)
  COND(jlt, a < b, a < b)
  COND(jle, a <= b, a <= b)
  COND(jset, a & b, a & b)
  COND(jsgt, S64(a) > S64(b), S32(a) > S32(b))
  COND(jsge, S64(a) >= S64(b), S32(a) >= S32(b))
  COND(jslt, S64(a) < S64(b), S32(a) < S32(b))
  COND(jsle, S64(a) <= S64(b), S32(a) <= S32(b))
#undef COND
ja:
  JUMP(insn->offset);
ja32:
  JUMP(insn->imm);

call:
  if (insn->src == kCallLocal) {
    if (budget < call_cost) {
      fault = Fault::kBudget;
      goto fail;
    }
    budget -= call_cost;
    if (depth + 1 >= kMaxCallDepth) {
      fault = Fault::kCallDepth;
      goto fail;
    }
    Frame& f = frames[depth++];
    f.return_pc = PC + 1;
    std::memcpy(f.saved, &reg[6], sizeof f.saved);
    reg[10] -= kStackBytes;
    grow_stack(kStackBytes);
    internal::ZeroFrame(reinterpret_cast<uint8_t*>(stack_lo));
    insn += insn->imm + 1;
    goto* table[insn->opcode];
  }
  reg[0] = helpers.Find(insn->imm)(reg[1], reg[2], reg[3], reg[4], reg[5]);
  std::memset(&reg[1], 0, 5 * sizeof reg[1]);  // as the JIT leaves them: see jit_x64.cc
  NEXT();
callx : {
  const HelperFn fn = helpers.Find(static_cast<int64_t>(DST));
  if (fn == nullptr) {
    address = DST;
    fault = Fault::kBadHelper;
    goto fail;
  }
  reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5]);
  std::memset(&reg[1], 0, 5 * sizeof reg[1]);
  NEXT();
}
exit:
  if (depth == 0) return reg[0];
  {
    const Frame& f = frames[--depth];
    std::memcpy(&reg[6], f.saved, sizeof f.saved);
    grow_stack(-kStackBytes);
    insn = insns + f.return_pc;
    goto* table[insn->opcode];
  }

#define MEMORY(name, T, U)                                   \
  ldx_##name : CHECK_ADDRESS(SRC + insn->offset, sizeof(T)); \
  DST = Load<T>(address);                                    \
  NEXT();                                                    \
  st_##name : CHECK_ADDRESS(DST + insn->offset, sizeof(T));  \
  Store<T>(address, static_cast<T>(insn->imm));              \
  NEXT();                                                    \
  stx_##name : CHECK_ADDRESS(DST + insn->offset, sizeof(T)); \
  Store<T>(address, static_cast<T>(SRC));                    \
  NEXT();
  MEMORY(b, uint8_t, int8_t)
  MEMORY(h, uint16_t, int16_t)
  MEMORY(w, uint32_t, int32_t)
  MEMORY(dw, uint64_t, int64_t)
#undef MEMORY
ldxs_b:
  CHECK_ADDRESS(SRC + insn->offset, 1);
  DST = static_cast<uint64_t>(static_cast<int64_t>(Load<int8_t>(address)));
  NEXT();
ldxs_h:
  CHECK_ADDRESS(SRC + insn->offset, 2);
  DST = static_cast<uint64_t>(static_cast<int64_t>(Load<int16_t>(address)));
  NEXT();
ldxs_w:
  CHECK_ADDRESS(SRC + insn->offset, 4);
  DST = static_cast<uint64_t>(static_cast<int64_t>(Load<int32_t>(address)));
  NEXT();

atomic_w : {
  CHECK_ADDRESS(DST + insn->offset, 4);
  if (address % 4 != 0) {  // a split lock: slow, and trapped by some kernels
    bytes = 4;
    fault = Fault::kMisaligned;
    goto fail;
  }
  uint32_t old;
  bool stored;
  AtomicOp<uint32_t>(address, insn->imm, static_cast<uint32_t>(SRC), &old,
                     static_cast<uint32_t>(reg[0]), &stored);
  if (insn->imm == kCmpXchg) {
    reg[0] = old;
  } else if (insn->imm & kFetch) {
    SRC = old;
  }
  NEXT();
}
atomic_dw : {
  CHECK_ADDRESS(DST + insn->offset, 8);
  if (address % 8 != 0) {
    bytes = 8;
    fault = Fault::kMisaligned;
    goto fail;
  }
  uint64_t old;
  bool stored;
  AtomicOp<uint64_t>(address, insn->imm, SRC, &old, reg[0], &stored);
  if (insn->imm == kCmpXchg) {
    reg[0] = old;
  } else if (insn->imm & kFetch) {
    SRC = old;
  }
  NEXT();
}

bad:
  // The verifier rejects every opcode that lands here.
  PERFKIT_CHECK(false && "unverified program");

fail:
  return Status::Error(
      DescribeFault(fault, PC, address, bytes,
                    {mem_lo, memory.size, reinterpret_cast<uintptr_t>(stack + kStackRegionBytes)}));
#undef PC
#undef NEXT
#undef DST
#undef SRC
#undef IMM64
#undef IMM32
#undef CHECK_ADDRESS
#undef JUMP
#undef S64
#undef S32
}

}  // namespace perfkit::jit
