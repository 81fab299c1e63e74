#include "subsystems/jit/verifier.h"

#include <algorithm>
#include <string>
#include <vector>

namespace perfkit::jit {
namespace {

constexpr uint16_t kAll = 0x7ff;
constexpr uint16_t Bit(int r) { return static_cast<uint16_t>(1u << r); }
constexpr uint16_t kArgs = Bit(1) | Bit(2) | Bit(3) | Bit(4) | Bit(5);

Status Reject(size_t pc, const std::string& why) {
  return Status::Error("insn " + std::to_string(pc) + ": " + why);
}

}  // namespace

Effects EffectsOf(const Insn& in) {
  const uint8_t cls = ClassOf(in.opcode);
  const uint16_t d = Bit(in.dst), s = Bit(in.src);
  switch (cls) {
    case kAlu:
    case kAlu64: {
      const bool x = SourceOf(in.opcode) == kX && OpOf(in.opcode) != kEnd;
      const bool mov = OpOf(in.opcode) == kMov;
      return {static_cast<uint16_t>((mov ? 0 : d) | (x ? s : 0)), d, 0};
    }
    case kLd:
      return {0, d, 0};
    case kLdx:
      return {s, d, 0};
    case kSt:
      return {d, 0, 0};
    case kStx: {
      if (ModeOf(in.opcode) != kAtomic) return {static_cast<uint16_t>(d | s), 0, 0};
      if (in.imm == kCmpXchg) return {static_cast<uint16_t>(d | s | Bit(0)), Bit(0), 0};
      return {static_cast<uint16_t>(d | s), static_cast<uint16_t>(in.imm & kFetch ? s : 0), 0};
    }
    default: {  // jumps
      const uint8_t op = OpOf(in.opcode);
      if (op == kExit) return {Bit(0), 0, 0};
      if (op == kCall) {
        const uint16_t reads = SourceOf(in.opcode) == kX ? d : 0;
        return {reads, Bit(0), kArgs};
      }
      if (op == kJa) return {};
      return {static_cast<uint16_t>(d | (SourceOf(in.opcode) == kX ? s : 0)), 0, 0};
    }
  }
}

namespace {

class Verifier {
 public:
  Verifier(const Program& p, const HelperTable& h) : p_(p), helpers_(h), n_(p.size()) {}

  Status Run() {
    if (n_ == 0) return Status::Error("insn 0: the program is empty");
    if (n_ > kMaxInsns) {
      return Status::Error("insn " + std::to_string(kMaxInsns) + ": the program has " +
                           std::to_string(n_) + " instructions; the limit is " +
                           std::to_string(kMaxInsns));
    }
    second_half_.assign(n_, false);
    starts_.push_back(0);
    for (size_t pc = 0; pc < n_; ++pc) {
      if (second_half_[pc]) continue;
      if (Status s = CheckEncoding(pc); !s.ok()) return s;
    }
    for (size_t pc = 0; pc < n_; ++pc) {
      if (Status s = CheckTargets(pc); !s.ok()) return s;
    }
    std::sort(starts_.begin(), starts_.end());
    starts_.erase(std::unique(starts_.begin(), starts_.end()), starts_.end());
    if (Status s = CheckFunctions(); !s.ok()) return s;
    for (size_t f = 0; f < starts_.size(); ++f) {
      if (Status s = CheckDataflow(f); !s.ok()) return s;
    }
    return OkStatus();
  }

 private:
  size_t Target(size_t pc) const {
    return static_cast<size_t>(static_cast<int64_t>(pc) + JumpOffset(p_[pc]) + 1);
  }
  bool IsJump(size_t pc) const {
    const Insn& in = p_[pc];
    const uint8_t cls = ClassOf(in.opcode), op = OpOf(in.opcode);
    return (cls == kJmp || cls == kJmp32) && op != kExit && op != kCall;
  }
  bool IsLocalCall(size_t pc) const {
    return p_[pc].opcode == (kJmp | kCall) && p_[pc].src == kCallLocal;
  }

  Status CheckEncoding(size_t pc);
  Status CheckAlu(size_t pc);
  Status CheckJmp(size_t pc);
  Status CheckMemory(size_t pc);
  Status CheckTargets(size_t pc) {
    if (second_half_[pc] || !(IsJump(pc) || IsLocalCall(pc))) return OkStatus();
    const size_t t = Target(pc);  // wraps to huge when negative
    if (t >= n_)
      return Reject(pc, "jump to " + std::to_string(static_cast<int64_t>(t)) +
                            " is out of range (0.." + std::to_string(n_ - 1) + ")");
    if (second_half_[t])
      return Reject(pc, "jump into the middle of lddw at " + std::to_string(t - 1));
    if (IsLocalCall(pc)) starts_.push_back(t);
    return OkStatus();
  }
  size_t FunctionOf(size_t pc) const {
    return static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), pc) -
                               starts_.begin() - 1);
  }
  size_t EndOf(size_t f) const { return f + 1 < starts_.size() ? starts_[f + 1] : n_; }
  Status CheckFunctions();
  Status CheckDataflow(size_t f);

  const Program& p_;
  const HelperTable& helpers_;
  const size_t n_;
  std::vector<bool> second_half_;
  std::vector<size_t> starts_;  // first instruction of each function
};

Status Verifier::CheckEncoding(size_t pc) {
  const Insn& in = p_[pc];
  if (in.dst > 10) return Reject(pc, "invalid destination register r" + std::to_string(in.dst));
  if (in.src > 10) return Reject(pc, "invalid source register r" + std::to_string(in.src));
  switch (ClassOf(in.opcode)) {
    case kAlu:
    case kAlu64:
      return CheckAlu(pc);
    case kJmp:
    case kJmp32:
      return CheckJmp(pc);
    default:
      return CheckMemory(pc);
  }
}

Status Verifier::CheckAlu(size_t pc) {
  const Insn& in = p_[pc];
  const uint8_t op = OpOf(in.opcode);
  const bool alu64 = ClassOf(in.opcode) == kAlu64;
  const bool x = SourceOf(in.opcode) == kX;
  if (op > kEnd) return Reject(pc, "unknown ALU operation 0x" + std::to_string(op >> 4));
  if (in.dst == 10) return Reject(pc, "writes r10, the read-only frame pointer");
  if (op == kEnd) {
    if (alu64 && x) return Reject(pc, "unknown opcode 0xdf");
    if (in.imm != 16 && in.imm != 32 && in.imm != 64) {
      return Reject(pc, "byte swap width must be 16, 32 or 64, not " + std::to_string(in.imm));
    }
    if (in.src != 0 || in.offset != 0)
      return Reject(pc, "reserved fields of a byte swap are not zero");
    return OkStatus();
  }
  if (op == kNeg) {
    if (x || in.src != 0 || in.imm != 0 || in.offset != 0) {
      return Reject(pc, "neg takes no source operand");
    }
    return OkStatus();
  }
  if (x && in.imm != 0) return Reject(pc, "register form with a non-zero immediate");
  if (!x && in.src != 0) return Reject(pc, "immediate form with a non-zero source register");
  const int16_t off = in.offset;
  bool offset_ok = off == 0;
  if (op == kDiv || op == kMod) offset_ok = off == 0 || off == 1;
  if (op == kMov && x) offset_ok = off == 0 || off == 8 || off == 16 || (alu64 && off == 32);
  if (!offset_ok)
    return Reject(pc, "invalid offset " + std::to_string(off) + " for this ALU operation");
  return OkStatus();
}

Status Verifier::CheckJmp(size_t pc) {
  const Insn& in = p_[pc];
  const uint8_t op = OpOf(in.opcode);
  const bool jmp32 = ClassOf(in.opcode) == kJmp32;
  const bool x = SourceOf(in.opcode) == kX;
  if (op == 0xe0 || op == 0xf0) return Reject(pc, "unknown jump operation");
  if (op == kJa) {
    if (x || in.dst != 0 || in.src != 0) return Reject(pc, "reserved fields of ja are not zero");
    if (jmp32 ? in.offset != 0 : in.imm != 0)
      return Reject(pc, "reserved fields of ja are not zero");
    return OkStatus();
  }
  if (op == kExit || op == kCall) {
    if (jmp32)
      return Reject(pc, std::string(op == kExit ? "exit" : "call") + " in the JMP32 class");
  }
  if (op == kExit) {
    if (x || in.dst || in.src || in.offset || in.imm)
      return Reject(pc, "reserved fields of exit are not zero");
    return OkStatus();
  }
  if (op == kCall) {
    if (in.offset != 0) return Reject(pc, "reserved fields of call are not zero");
    if (x) {
      if (in.src != 0 || in.imm != 0) return Reject(pc, "reserved fields of callx are not zero");
      return OkStatus();
    }
    if (in.dst != 0) return Reject(pc, "reserved fields of call are not zero");
    if (in.src == kCallLocal) return OkStatus();
    if (in.src == kCallRuntime)
      return Reject(pc, "call runtime (kfunc) " + std::to_string(in.imm) + " is not supported");
    if (in.src != kCallHelper) return Reject(pc, "unknown call kind " + std::to_string(in.src));
    if (helpers_.Find(in.imm) == nullptr)
      return Reject(pc, "call to unknown helper " + std::to_string(in.imm));
    return OkStatus();
  }
  if (x && in.imm != 0) return Reject(pc, "register form with a non-zero immediate");
  if (!x && in.src != 0) return Reject(pc, "immediate form with a non-zero source register");
  return OkStatus();
}

Status Verifier::CheckMemory(size_t pc) {
  const Insn& in = p_[pc];
  const uint8_t cls = ClassOf(in.opcode), mode = ModeOf(in.opcode), size = SizeOf(in.opcode);
  if (cls == kLd) {
    if (in.opcode != kLddw)
      return Reject(pc, "unknown opcode 0x" + std::to_string(in.opcode) +
                            " (legacy packet loads are not supported)");
    if (pc + 1 >= n_) return Reject(pc, "lddw is missing its second slot");
    const Insn& next = p_[pc + 1];
    if (next.opcode || next.dst || next.src || next.offset)
      return Reject(pc + 1, "second slot of lddw is not zero except imm");
    if (in.src != 0)
      return Reject(pc,
                    "lddw with src " + std::to_string(in.src) + " (maps, BTF) is not supported");
    if (in.offset != 0) return Reject(pc, "reserved fields of lddw are not zero");
    if (in.dst == 10) return Reject(pc, "writes r10, the read-only frame pointer");
    second_half_[pc + 1] = true;
    return OkStatus();
  }
  const bool sx = cls == kLdx && mode == kMemSx && size != kDW;
  const bool atomic = cls == kStx && mode == kAtomic && (size == kW || size == kDW);
  if (mode != kMem && !sx && !atomic)
    return Reject(pc, "unknown opcode " + std::to_string(in.opcode));
  if (cls == kLdx && in.dst == 10) return Reject(pc, "writes r10, the read-only frame pointer");
  if (cls == kLdx && in.imm != 0) return Reject(pc, "reserved fields of a load are not zero");
  if (cls == kSt && in.src != 0) return Reject(pc, "reserved fields of a store are not zero");
  if (cls == kStx && !atomic && in.imm != 0)
    return Reject(pc, "reserved fields of a store are not zero");
  if (atomic) {
    const int32_t op = in.imm & ~kFetch;
    const bool known = op == kAdd || op == kOr || op == kAnd || op == kXor || in.imm == kXchg ||
                       in.imm == kCmpXchg;
    if (!known) return Reject(pc, "unknown atomic operation " + std::to_string(in.imm));
    if ((in.imm & kFetch) && in.src == 10) return Reject(pc, "atomic fetch writes r10");
  }
  // Stack accesses through r10 are checked here once, not at run time.
  const uint8_t base = cls == kLdx ? in.src : in.dst;
  if (base == 10) {
    const int bytes = SizeBytes(in.opcode);
    if (in.offset < -kStackBytes || in.offset + bytes > 0) {
      return Reject(pc, std::string("stack access at r10") + (in.offset >= 0 ? "+" : "") +
                            std::to_string(in.offset) + " of " + std::to_string(bytes) +
                            " bytes is outside the 512-byte frame");
    }
  }
  return OkStatus();
}

Status Verifier::CheckFunctions() {
  // Jumps stay inside their function.
  for (size_t pc = 0; pc < n_; ++pc) {
    if (second_half_[pc] || !IsJump(pc)) continue;
    if (FunctionOf(Target(pc)) != FunctionOf(pc)) return Reject(pc, "jump into another function");
  }
  // No recursion: depth-first search of the call graph.
  std::vector<int> state(starts_.size(), 0);  // 0 new, 1 on the path, 2 done
  std::vector<std::pair<size_t, size_t>> stack = {{0, starts_[0]}};
  state[0] = 1;
  while (!stack.empty()) {
    auto& [f, pc] = stack.back();
    if (pc >= EndOf(f)) {
      state[f] = 2;
      stack.pop_back();
      continue;
    }
    const size_t at = pc++;
    if (second_half_[at] || !IsLocalCall(at)) continue;
    const size_t callee = FunctionOf(Target(at));
    if (state[callee] == 1) return Reject(at, "recursive call");
    if (state[callee] == 0) {
      state[callee] = 1;
      stack.emplace_back(callee, starts_[callee]);
    }
  }
  return OkStatus();
}

Status Verifier::CheckDataflow(size_t f) {
  const size_t begin = starts_[f], end = EndOf(f);
  constexpr uint16_t kUnseen = 0xffff;
  std::vector<uint16_t> in(n_, kUnseen);
  in[begin] = f == 0 ? (Bit(1) | Bit(2) | Bit(10)) : (kArgs | Bit(10));
  std::vector<size_t> work = {begin};
  auto flow = [&](size_t from, size_t to, uint16_t mask) -> Status {
    if (to >= end)
      return Reject(from,
                    "falls off the end of the " + std::string(f == 0 ? "program" : "function"));
    const uint16_t merged = in[to] == kUnseen ? mask : static_cast<uint16_t>(in[to] & mask);
    if (merged != in[to]) {
      in[to] = merged;
      work.push_back(to);
    }
    return OkStatus();
  };
  while (!work.empty()) {
    const size_t pc = work.back();
    work.pop_back();
    const Insn& insn = p_[pc];
    const Effects e = EffectsOf(insn);
    const uint16_t out = static_cast<uint16_t>(((in[pc] | e.writes) & ~e.clobbers) & kAll);
    const uint8_t op = OpOf(insn.opcode), cls = ClassOf(insn.opcode);
    const bool jump = cls == kJmp || cls == kJmp32;
    if (jump && op == kExit) continue;
    if (jump && op != kCall && IsJump(pc)) {
      if (Status s = flow(pc, Target(pc), out); !s.ok()) return s;
      if (op == kJa) continue;
    }
    const size_t next = pc + (insn.opcode == kLddw ? 2 : 1);
    if (Status s = flow(pc, next, out | (jump && op == kCall ? Bit(0) : 0)); !s.ok()) return s;
  }
  for (size_t pc = begin; pc < end; ++pc) {
    if (in[pc] == kUnseen) continue;
    const uint16_t missing = static_cast<uint16_t>(EffectsOf(p_[pc]).reads & ~in[pc]);
    if (missing != 0) {
      return Reject(pc, "reads r" + std::to_string(__builtin_ctz(missing)) +
                            ", which is not written on every path to it");
    }
  }
  return OkStatus();
}

}  // namespace

Status Verify(const Program& program, const HelperTable& helpers) {
  return Verifier(program, helpers).Run();
}

}  // namespace perfkit::jit
