#include "subsystems/jit/ranges.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "subsystems/jit/verifier.h"

namespace perfkit::jit {
namespace {

constexpr uint64_t kMax = ~uint64_t{0};
constexpr uint64_t kMax32 = 0xffffffff;
// Offsets from the memory's start are tracked up to here; past it a
// pointer is forgotten (it could be made to wrap).
constexpr uint64_t kMaxOffset = uint64_t{1} << 32;

// A register: a number in [lo, hi] (unsigned), or the memory's start plus
// an offset in [lo, hi]. Any() claims nothing.
struct Value {
  enum Kind : uint8_t { kNumber, kMemory };
  Kind kind = kNumber;
  uint64_t lo = 0;
  uint64_t hi = kMax;
  bool operator==(const Value&) const = default;
};

Value Any() { return {}; }
Value Number(uint64_t lo, uint64_t hi) { return {Value::kNumber, lo, hi}; }
Value Memory(uint64_t lo, uint64_t hi) {
  return hi > kMaxOffset ? Any() : Value{Value::kMemory, lo, hi};
}
bool IsConstant(const Value& v) { return v.kind == Value::kNumber && v.lo == v.hi; }

struct State {
  bool reached = false;
  std::array<Value, kNumRegisters> r{};
  bool operator==(const State&) const = default;
};

Value Join(const Value& a, const Value& b) {
  if (a.kind != b.kind) return Any();
  return {a.kind, std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

State Join(const State& a, const State& b) {
  if (!a.reached) return b;
  if (!b.reached) return a;
  State s = a;
  for (int i = 0; i < kNumRegisters; ++i) s.r[i] = Join(a.r[i], b.r[i]);
  return s;
}

// At a loop head: a bound still moving goes at once to the next of the
// program's comparison constants (widening with thresholds), else to its
// extreme; a loop's own bound then survives the widening.
State Widen(const State& old, const State& now, const std::vector<uint64_t>& thresholds) {
  if (!old.reached) return now;
  State s = now;
  for (int i = 0; i < kNumRegisters; ++i) {
    const Value& o = old.r[i];
    const Value& n = now.r[i];
    if (o.kind != n.kind) {
      s.r[i] = Any();
      continue;
    }
    Value w = o;
    if (n.lo < o.lo) {
      auto t = std::upper_bound(thresholds.begin(), thresholds.end(), n.lo);
      w.lo = t == thresholds.begin() ? 0 : *(t - 1);
    }
    if (n.hi > o.hi) w.hi = *std::lower_bound(thresholds.begin(), thresholds.end(), n.hi);
    s.r[i] = w.kind == Value::kMemory ? Memory(w.lo, w.hi) : w;
  }
  return s;
}

// Every constant a comparison names, one either side, 0 and the maximum.
std::vector<uint64_t> Thresholds(const Program& p) {
  std::vector<uint64_t> t = {0, kMax};
  for (const Insn& in : p) {
    const uint8_t cls = ClassOf(in.opcode);
    if ((cls != kJmp && cls != kJmp32) || SourceOf(in.opcode) != kK) continue;
    const auto k = static_cast<uint64_t>(int64_t{in.imm});
    t.push_back(k);
    if (k != kMax) t.push_back(k + 1);
    if (k != 0) t.push_back(k - 1);
  }
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  return t;
}

Value Add(const Value& a, const Value& b) {
  if (a.kind == Value::kMemory && b.kind == Value::kMemory) return Any();
  uint64_t lo = 0, hi = 0;
  if (__builtin_add_overflow(a.lo, b.lo, &lo) || __builtin_add_overflow(a.hi, b.hi, &hi)) {
    return Any();
  }
  return a.kind == Value::kMemory || b.kind == Value::kMemory ? Memory(lo, hi) : Number(lo, hi);
}

Value Sub(const Value& a, const Value& b) {
  if (b.kind == Value::kMemory || a.lo < b.hi) return Any();  // could wrap
  const uint64_t lo = a.lo - b.hi, hi = a.hi - b.lo;
  return a.kind == Value::kMemory ? Memory(lo, hi) : Number(lo, hi);
}

Value Mul(const Value& a, const Value& b) {
  uint64_t hi = 0;
  if (a.kind != Value::kNumber || b.kind != Value::kNumber ||
      __builtin_mul_overflow(a.hi, b.hi, &hi)) {
    return Any();
  }
  return Number(a.lo * b.lo, hi);
}

// What a 32-bit operation sees of a register.
Value Low32(const Value& v) {
  return v.kind == Value::kNumber && v.hi <= kMax32 ? v : Number(0, kMax32);
}

void Alu(const Insn& in, State& s) {
  const bool is64 = ClassOf(in.opcode) == kAlu64;
  Value& dst = s.r[in.dst];
  Value b = SourceOf(in.opcode) == kX ? s.r[in.src]
            : is64                    ? Number(static_cast<uint64_t>(int64_t{in.imm}),
                                               static_cast<uint64_t>(int64_t{in.imm}))
                   : Number(static_cast<uint32_t>(in.imm), static_cast<uint32_t>(in.imm));
  const Value a = is64 ? dst : Low32(dst);
  if (!is64) b = Low32(b);
  Value r = Any();
  const uint64_t width = is64 ? 63 : 31;
  switch (OpOf(in.opcode)) {
    case kMov:
      if (in.offset == 0) r = b;  // a non-zero offset is a sign-extending move
      break;
    case kAdd:
      r = Add(a, b);
      break;
    case kSub:
      r = Sub(a, b);
      break;
    case kMul:
      r = Mul(a, b);
      break;
    case kDiv:  // unsigned (offset 0) by a constant other than zero
      if (in.offset == 0 && IsConstant(b) && b.lo != 0 && a.kind == Value::kNumber) {
        r = Number(a.lo / b.lo, a.hi / b.lo);
      }
      break;
    case kMod:
      if (in.offset == 0 && IsConstant(b) && b.lo != 0) {
        r = Number(0, a.kind == Value::kNumber ? std::min(a.hi, b.lo - 1) : b.lo - 1);
      }
      break;
    case kAnd:
      if (IsConstant(b)) r = Number(0, a.kind == Value::kNumber ? std::min(a.hi, b.lo) : b.lo);
      break;
    case kRsh:
      if (IsConstant(b)) {
        const uint64_t k = b.lo & width;
        r = a.kind == Value::kNumber ? Number(a.lo >> k, a.hi >> k)
                                     : Number(0, (is64 ? kMax : kMax32) >> k);
      }
      break;
    case kLsh:
      if (IsConstant(b) && a.kind == Value::kNumber) {
        const uint64_t k = b.lo & width;
        if (a.hi <= (kMax >> k)) r = Number(a.lo << k, a.hi << k);
      }
      break;
    case kEnd:
      dst = Any();  // a 64-bit swap is 64 bits wide even in the 32-bit class
      return;
    default:
      break;  // or, xor, neg, arsh: anything
  }
  dst = is64 ? r : Low32(r);
}

bool UsesCalls(const Program& p) {
  for (const Insn& in : p) {
    if (ClassOf(in.opcode) == kJmp && OpOf(in.opcode) == kCall &&
        (in.src == kCallLocal || SourceOf(in.opcode) == kX)) {
      return true;
    }
  }
  return false;
}

// The state after the instruction, before its branch (if any) is taken.
State Transfer(const Program& p, size_t pc, State s) {
  const Insn& in = p[pc];
  switch (ClassOf(in.opcode)) {
    case kAlu:
    case kAlu64:
      Alu(in, s);
      break;
    case kLd:  // lddw: a 64-bit constant (or, with src set, something else)
      if (in.src == 0 && pc + 1 < p.size()) {
        const uint64_t v =
            static_cast<uint32_t>(in.imm) | uint64_t{static_cast<uint32_t>(p[pc + 1].imm)} << 32;
        s.r[in.dst] = Number(v, v);
      } else {
        s.r[in.dst] = Any();
      }
      break;
    case kLdx: {
      const int bits = 8 * SizeBytes(in.opcode);
      s.r[in.dst] =
          ModeOf(in.opcode) == kMem && bits < 64 ? Number(0, (uint64_t{1} << bits) - 1) : Any();
      break;
    }
    case kStx:
      if (ModeOf(in.opcode) == kAtomic && (in.imm & kFetch)) {
        s.r[in.src] = Any();
        if (in.imm == kCmpXchg) s.r[0] = Any();
      }
      break;
    case kJmp:
    case kJmp32:
      if (OpOf(in.opcode) == kCall) {
        for (int i = 0; i <= 5; ++i) s.r[i] = Any();
      }
      break;
    default:
      break;
  }
  return s;
}

// v within [lo, hi], or not reached at all.
State Within(State s, int reg, uint64_t lo, uint64_t hi) {
  Value& v = s.r[reg];
  if (v.kind != Value::kNumber) return s;
  v.lo = std::max(v.lo, lo);
  v.hi = std::min(v.hi, hi);
  if (v.lo > v.hi) s.reached = false;
  return s;
}

// What a 64-bit comparison with a constant says about dst on each edge.
State Narrow(const Insn& in, const State& s, bool taken) {
  if (ClassOf(in.opcode) != kJmp || SourceOf(in.opcode) != kK) return s;
  const uint64_t k = static_cast<uint64_t>(int64_t{in.imm});
  const int d = in.dst;
  const auto never = [&] {
    State none = s;
    none.reached = false;
    return none;
  };
  switch (OpOf(in.opcode)) {
    case kJeq:
      return taken ? Within(s, d, k, k) : s;
    case kJne:
      return taken ? s : Within(s, d, k, k);
    case kJgt:
      if (taken) return k == kMax ? never() : Within(s, d, k + 1, kMax);
      return Within(s, d, 0, k);
    case kJge:
      if (taken) return Within(s, d, k, kMax);
      return k == 0 ? never() : Within(s, d, 0, k - 1);
    case kJlt:
      if (taken) return k == 0 ? never() : Within(s, d, 0, k - 1);
      return Within(s, d, k, kMax);
    case kJle:
      if (taken) return Within(s, d, 0, k);
      return k == kMax ? never() : Within(s, d, k + 1, kMax);
    default:
      return s;
  }
}

struct Edge {
  size_t to;
  int taken;  // -1: not a branch; 0: fell through; 1: jumped
};

std::vector<Edge> Successors(const Program& p, size_t pc) {
  const Insn& in = p[pc];
  const uint8_t cls = ClassOf(in.opcode);
  std::vector<Edge> out;
  const auto add = [&](int64_t to, int taken) {
    if (to >= 0 && static_cast<size_t>(to) < p.size())
      out.push_back({static_cast<size_t>(to), taken});
  };
  const auto here = static_cast<int64_t>(pc);
  if (in.opcode == kLddw) {
    add(here + 2, -1);
  } else if ((cls == kJmp || cls == kJmp32) && OpOf(in.opcode) != kCall) {
    if (OpOf(in.opcode) == kExit) return out;
    if (OpOf(in.opcode) == kJa) {
      add(here + 1 + JumpOffset(in), -1);
    } else {
      add(here + 1, 0);
      add(here + 1 + JumpOffset(in), 1);
    }
  } else {
    add(here + 1, -1);
  }
  return out;
}

State Along(const Program& p, size_t pc, const State& after, const Edge& e) {
  return e.taken < 0 ? after : Narrow(p[pc], after, e.taken == 1);
}

struct Cfg {
  std::vector<std::vector<Edge>> edges;
  std::vector<bool> loop_head;
};

Cfg CfgOf(const Program& p) {
  Cfg g;
  g.edges.resize(p.size());
  g.loop_head.assign(p.size(), false);
  for (size_t pc = 0; pc < p.size(); ++pc) {
    if (pc > 0 && p[pc - 1].opcode == kLddw) continue;
    g.edges[pc] = Successors(p, pc);
    for (const Edge& e : g.edges[pc]) g.loop_head[e.to] = g.loop_head[e.to] || e.to <= pc;
  }
  return g;
}

// The state on entry to every instruction (not reached: never runs), or
// nothing when the analysis does not apply or does not settle.
std::optional<std::vector<State>> RangesOf(const Program& p, const Cfg& g) {
  if (p.empty() || UsesCalls(p)) return std::nullopt;
  State entry;
  entry.reached = true;
  entry.r[1] = Memory(0, 0);

  // Up to a fixpoint, widening at loop heads after two visits.
  const std::vector<uint64_t> thresholds = Thresholds(p);
  std::vector<State> in(p.size());
  std::vector<int> visits(p.size(), 0);
  in[0] = entry;
  std::vector<size_t> work = {0};
  for (size_t steps = 0; !work.empty(); ++steps) {
    if (steps > 64 * p.size() + 1024) return std::nullopt;
    const size_t pc = work.back();
    work.pop_back();
    const State after = Transfer(p, pc, in[pc]);
    for (const Edge& e : g.edges[pc]) {
      const State along = Along(p, pc, after, e);
      if (!along.reached) continue;
      State merged = Join(in[e.to], along);
      if (g.loop_head[e.to] && ++visits[e.to] > 2) merged = Widen(in[e.to], merged, thresholds);
      if (!(merged == in[e.to])) {
        in[e.to] = merged;
        work.push_back(e.to);
      }
    }
  }
  // Then narrowed: each instruction's state recomputed from its
  // predecessors' current ones, in program order (so a loop head's narrower
  // range reaches its body in the same round), four rounds. Each step stays
  // sound: it starts from states that cover their successors.
  std::vector<std::vector<std::pair<size_t, Edge>>> preds(p.size());
  for (size_t pc = 0; pc < p.size(); ++pc) {
    for (const Edge& e : g.edges[pc]) preds[e.to].push_back({pc, e});
  }
  for (int round = 0; round < 4; ++round) {
    for (size_t pc = 0; pc < p.size(); ++pc) {
      State now = pc == 0 ? entry : State{};
      for (const auto& [from, e] : preds[pc]) {
        if (in[from].reached) now = Join(now, Along(p, from, Transfer(p, from, in[from]), e));
      }
      in[pc] = now;
    }
  }
  return in;
}

}  // namespace

ProvenAccesses ProveAccesses(const Program& p) {
  ProvenAccesses out;
  out.in_bounds.assign(p.size(), false);
  const Cfg g = CfgOf(p);
  const auto ranges = RangesOf(p, g);
  if (!ranges) return out;
  const std::vector<State>& in = *ranges;
  for (size_t pc = 0; pc < p.size(); ++pc) {
    const Insn& in_pc = p[pc];
    const uint8_t cls = ClassOf(in_pc.opcode);
    const bool load = cls == kLdx && ModeOf(in_pc.opcode) != kAtomic;
    const bool store = (cls == kSt || cls == kStx) && ModeOf(in_pc.opcode) == kMem;
    if (!in[pc].reached || !(load || store)) continue;
    if (pc > 0 && p[pc - 1].opcode == kLddw) continue;
    const int base = load ? in_pc.src : in_pc.dst;
    if (base == 10) continue;  // the stack: bounded by the verifier already
    const Value& v = in[pc].r[base];
    if (v.kind != Value::kMemory) continue;
    const int64_t off = in_pc.offset;
    if (off < 0 && v.lo < static_cast<uint64_t>(-off)) continue;  // may start before the memory
    const uint64_t end = v.hi + static_cast<uint64_t>(off) + SizeBytes(in_pc.opcode);
    if (end > kMaxOffset) continue;
    out.in_bounds[pc] = true;
    out.min_memory = std::max<size_t>(out.min_memory, end);
  }
  return out;
}

namespace {

constexpr uint64_t kWorkCap = uint64_t{1} << 62;

uint64_t SatMul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) || r > kWorkCap ? kWorkCap : r;
}

struct Loop {
  size_t head = 0;
  size_t back = 0;
  std::vector<bool> body;
  size_t size = 0;
  uint64_t trips = 0;    // times the back edge is taken per entry
  uint64_t entries = 0;  // times the loop is entered per run
};

// Whether every path from the head to the back edge, inside the body,
// passes `x`.
bool Dominates(const Cfg& g, const Loop& l, size_t x) {
  if (x == l.head || x == l.back) return true;
  std::vector<bool> seen(l.body.size(), false);
  std::vector<size_t> work = {l.head};
  seen[l.head] = true;
  while (!work.empty()) {
    const size_t n = work.back();
    work.pop_back();
    if (n == l.back) return false;
    for (const Edge& e : g.edges[n]) {
      if (e.to == x || !l.body[e.to] || seen[e.to] || (n == l.back)) continue;
      seen[e.to] = true;
      work.push_back(e.to);
    }
  }
  return true;
}

// How many times the back edge can be taken per entry, or kUnbounded.
uint64_t Trips(const Program& p, const Cfg& g, const std::vector<State>& in, const Loop& l) {
  std::array<int, kNumRegisters> writers{};
  std::array<size_t, kNumRegisters> writer{};
  for (size_t pc = 0; pc < p.size(); ++pc) {
    if (!l.body[pc]) continue;
    const Effects e = EffectsOf(p[pc]);
    for (int r = 0; r < kNumRegisters; ++r) {
      if (((e.writes | e.clobbers) >> r & 1) == 0) continue;
      ++writers[r];
      writer[r] = pc;
    }
  }
  for (int v = 0; v < kNumRegisters; ++v) {
    if (writers[v] != 1 || !Dominates(g, l, writer[v])) continue;
    const Insn& inc = p[writer[v]];
    if (inc.opcode != (kAlu64 | kAdd | kK) && inc.opcode != (kAlu64 | kAdd | kX)) continue;
    Value delta =
        Number(static_cast<uint64_t>(int64_t{inc.imm}), static_cast<uint64_t>(int64_t{inc.imm}));
    if (SourceOf(inc.opcode) == kX) {
      if (inc.src == v) continue;
      delta = in[writer[v]].r[inc.src];
    }
    if (delta.kind != Value::kNumber || delta.lo == 0 || delta.hi > kMaxOffset) continue;
    // A comparison on every pass that leaves the loop unless v <= limit.
    for (size_t pc = 0; pc < p.size(); ++pc) {
      const Insn& guard = p[pc];
      if (!l.body[pc] || ClassOf(guard.opcode) != kJmp || SourceOf(guard.opcode) != kK ||
          guard.dst != v || g.edges[pc].size() != 2 || !Dominates(g, l, pc)) {
        continue;
      }
      for (const Edge& stay : g.edges[pc]) {
        const Edge& other = &stay == &g.edges[pc][0] ? g.edges[pc][1] : g.edges[pc][0];
        if (!l.body[stay.to] || l.body[other.to]) continue;
        State probe;
        probe.reached = true;
        const State kept = Narrow(guard, probe, stay.taken == 1);
        if (!kept.reached) return 0;
        const uint64_t limit = kept.r[v].hi;
        uint64_t top = 0;
        if (limit == kMax || __builtin_add_overflow(limit, delta.hi, &top)) continue;
        return limit / delta.lo + 1;
      }
    }
  }
  return kUnbounded;
}

}  // namespace

uint64_t MaxWork(const Program& p) {
  const Cfg g = CfgOf(p);
  const auto ranges = RangesOf(p, g);
  if (!ranges) return kUnbounded;
  const std::vector<State>& in = *ranges;
  std::vector<std::vector<size_t>> preds(p.size());
  std::vector<Loop> loops;
  std::vector<bool> is_head(p.size(), false);
  for (size_t pc = 0; pc < p.size(); ++pc) {
    if (!in[pc].reached) continue;
    for (const Edge& e : g.edges[pc]) {
      preds[e.to].push_back(pc);
      if (e.to > pc) continue;
      if (is_head[e.to]) return kUnbounded;  // one back edge per head
      is_head[e.to] = true;
      loops.push_back({e.to, pc, {}, 0, 0, 0});
    }
  }
  // Natural loops: what reaches the back edge without passing the head.
  for (Loop& l : loops) {
    l.body.assign(p.size(), false);
    l.body[l.head] = true;
    std::vector<size_t> work = {l.back};
    while (!work.empty()) {
      const size_t n = work.back();
      work.pop_back();
      if (l.body[n]) continue;
      l.body[n] = true;
      for (size_t m : preds[n]) work.push_back(m);
    }
    for (size_t n = 0; n < p.size(); ++n) {
      if (!l.body[n]) continue;
      ++l.size;
      for (size_t m : preds[n]) {
        if (!l.body[m] && n != l.head) return kUnbounded;  // entered in the middle
      }
    }
    l.trips = Trips(p, g, in, l);
    if (l.trips == kUnbounded) return kUnbounded;
  }
  // Bodies nest or do not meet; each instruction belongs to the smallest
  // loop that holds it, and runs at most once per pass of that loop.
  std::sort(loops.begin(), loops.end(),
            [](const Loop& a, const Loop& b) { return a.size > b.size; });
  std::vector<int> innermost(p.size(), -1);
  for (size_t i = 0; i < loops.size(); ++i) {
    for (size_t n = 0; n < p.size(); ++n) {
      if (!loops[i].body[n]) continue;
      if (innermost[n] >= 0) {
        const Loop& outer = loops[innermost[n]];
        for (size_t k = 0; k < p.size(); ++k) {
          if (loops[i].body[k] && !outer.body[k]) return kUnbounded;
        }
      }
      innermost[n] = static_cast<int>(i);
    }
  }
  const auto runs = [&](size_t n) -> uint64_t {
    if (innermost[n] < 0) return 1;
    const Loop& l = loops[innermost[n]];
    return SatMul(l.entries, l.trips + 1);
  };
  // A loop is entered from the code around it, which may be another loop
  // (enclosing it, or one that exits into it): as many rounds as loops.
  for (size_t round = 0; round <= loops.size(); ++round) {
    for (Loop& l : loops) {
      uint64_t entries = l.head == 0 ? 1 : 0;  // the run's start
      for (size_t m : preds[l.head]) {
        if (!l.body[m]) entries = std::min(kWorkCap, entries + runs(m));
      }
      l.entries = entries;
    }
  }
  uint64_t work = 0;
  for (const Loop& l : loops) {
    const uint64_t cost = l.back - l.head + 1;  // what the back edge charges
    work = std::min(kWorkCap, work + SatMul(cost, SatMul(l.entries, l.trips)));
  }
  return work;
}

}  // namespace perfkit::jit
