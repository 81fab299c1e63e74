#include "subsystems/jit/assembler.h"

#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

namespace perfkit::jit {
namespace {

struct AluName {
  const char* name;
  uint8_t op;
  int16_t offset;
};
constexpr AluName kAluOps[] = {
    {"add", kAdd, 0}, {"sub", kSub, 0},  {"mul", kMul, 0}, {"div", kDiv, 0}, {"sdiv", kDiv, 1},
    {"or", kOr, 0},   {"and", kAnd, 0},  {"lsh", kLsh, 0}, {"rsh", kRsh, 0}, {"neg", kNeg, 0},
    {"mod", kMod, 0}, {"smod", kMod, 1}, {"xor", kXor, 0}, {"mov", kMov, 0}, {"arsh", kArsh, 0},
};
struct JmpName {
  const char* name;
  uint8_t op;
};
constexpr JmpName kJmpOps[] = {
    {"jeq", kJeq}, {"jgt", kJgt},   {"jge", kJge},   {"jset", kJset},
    {"jne", kJne}, {"jsgt", kJsgt}, {"jsge", kJsge}, {"jlt", kJlt},
    {"jle", kJle}, {"jslt", kJslt}, {"jsle", kJsle},
};
struct SizeName {
  const char* suffix;
  uint8_t size;
};
constexpr SizeName kSizes[] = {{"b", kB}, {"h", kH}, {"w", kW}, {"dw", kDW}};
constexpr const char* kAtomicNames[] = {"add", "or", "and", "xor"};
constexpr int32_t kAtomicOps[] = {kAdd, kOr, kAnd, kXor};

std::string Hex(uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  return "0x" + std::string(buf, r.ptr);
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

class LineAssembler {
 public:
  struct Fixup {
    size_t at;
    std::string label;
    int line;
  };

  Result<std::vector<Insn>> Line(int line, std::string_view mnemonic,
                                 const std::vector<std::string>& ops);
  std::vector<Fixup> fixups;
  size_t position = 0;

 private:
  Status Error(const std::string& why) const {
    return Status::Error("line " + std::to_string(line_) + ": " + why);
  }
  std::optional<uint8_t> Register(std::string_view s) const {
    if (!s.empty() && s[0] == '%') s.remove_prefix(1);
    if (s.size() < 2 || s[0] != 'r') return std::nullopt;
    int r = 0;
    auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), r);
    if (ec != std::errc() || p != s.data() + s.size() || r < 0 || r > 15) return std::nullopt;
    return static_cast<uint8_t>(r);
  }
  std::optional<int64_t> Number(std::string_view s) const {
    bool negative = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      negative = s[0] == '-';
      s.remove_prefix(1);
    }
    int base = 10;
    if (StartsWith(s, "0x") || StartsWith(s, "0X")) {
      base = 16;
      s.remove_prefix(2);
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return negative ? static_cast<int64_t>(uint64_t{0} - v) : static_cast<int64_t>(v);
  }
  // [%rN], [%rN+off], [%rN-off]
  std::optional<std::pair<uint8_t, int16_t>> Address(std::string_view s) const {
    if (s.size() < 3 || s.front() != '[' || s.back() != ']') return std::nullopt;
    s = s.substr(1, s.size() - 2);
    const size_t sign = s.find_first_of("+-");
    auto reg = Register(s.substr(0, sign));
    if (!reg) return std::nullopt;
    if (sign == std::string_view::npos) return std::make_pair(*reg, int16_t{0});
    auto off = Number(s.substr(sign));
    if (!off || *off < -32768 || *off > 32767) return std::nullopt;
    return std::make_pair(*reg, static_cast<int16_t>(*off));
  }
  // A relative offset (+3, -1) or a label resolved after the last line.
  std::optional<int64_t> Target(const std::string& s, size_t at) {
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) return Number(s);
    if (s.empty() ||
        !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_' || s[0] == '.')) {
      return std::nullopt;
    }
    fixups.push_back({at, s, line_});
    return 0;
  }
  Result<std::vector<Insn>> Alu(std::string_view m, const std::vector<std::string>& ops);
  Result<std::vector<Insn>> Jump(std::string_view m, const std::vector<std::string>& ops);
  Result<std::vector<Insn>> Memory(std::string_view m, const std::vector<std::string>& ops);
  Result<std::vector<Insn>> Atomic(const std::vector<std::string>& ops);

  int line_ = 0;
};

Insn Make(uint8_t opcode, uint8_t dst = 0, uint8_t src = 0, int16_t off = 0, int32_t imm = 0) {
  Insn i{};
  i.opcode = opcode;
  i.dst = dst;
  i.src = src;
  i.offset = off;
  i.imm = imm;
  return i;
}

Result<std::vector<Insn>> LineAssembler::Line(int line, std::string_view m,
                                              const std::vector<std::string>& ops) {
  line_ = line;
  if (m == "exit") {
    if (!ops.empty()) return Error("exit takes no operands");
    return std::vector<Insn>{Make(kJmp | kExit)};
  }
  if (m == "lock") return Atomic(ops);
  if (m == "call" || m == "callx" || m == "ja" || m == "ja32" || (m[0] == 'j' && m != "jit"))
    return Jump(m, ops);
  if (StartsWith(m, "ld") || StartsWith(m, "st")) return Memory(m, ops);
  return Alu(m, ops);
}

Result<std::vector<Insn>> LineAssembler::Alu(std::string_view m,
                                             const std::vector<std::string>& ops) {
  // Byte swaps: le16, be32, swap64 (bswap64 too).
  for (const auto& [prefix, opcode] : {std::pair<const char*, uint8_t>{"le", kAlu | kK | kEnd},
                                       {"be", kAlu | kX | kEnd},
                                       {"swap", kAlu64 | kK | kEnd},
                                       {"bswap", kAlu64 | kK | kEnd}}) {
    if (!StartsWith(m, prefix)) continue;
    auto bits = Number(m.substr(std::strlen(prefix)));
    if (!bits || (*bits != 16 && *bits != 32 && *bits != 64)) break;
    if (ops.size() != 1) return Error(std::string(m) + " takes one register");
    auto dst = Register(ops[0]);
    if (!dst) return Error("'" + ops[0] + "' is not a register");
    return std::vector<Insn>{Make(opcode, *dst, 0, 0, static_cast<int32_t>(*bits))};
  }
  std::string_view base = m;
  uint8_t cls = kAlu64;
  int16_t movsx = 0;
  if (StartsWith(m, "movsx")) {  // movsx<from><to>: movsx832, movsx1664, movsx3264
    const std::string_view sizes = m.substr(5);
    const std::pair<const char*, std::pair<int16_t, uint8_t>> forms[] = {{"832", {8, kAlu}},
                                                                         {"864", {8, kAlu64}},
                                                                         {"1632", {16, kAlu}},
                                                                         {"1664", {16, kAlu64}},
                                                                         {"3264", {32, kAlu64}}};
    for (const auto& [text, form] : forms) {
      if (sizes == text) std::tie(movsx, cls) = form;
    }
    if (movsx == 0) return Error("unknown mnemonic '" + std::string(m) + "'");
    base = "mov";
  } else if (m.size() > 2 && (m.substr(m.size() - 2) == "32" || m.substr(m.size() - 2) == "64")) {
    cls = m.substr(m.size() - 2) == "32" ? kAlu : kAlu64;
    base = m.substr(0, m.size() - 2);
  }
  const AluName* alu = nullptr;
  for (const AluName& a : kAluOps) {
    if (base == a.name) alu = &a;
  }
  if (alu == nullptr) return Error("unknown mnemonic '" + std::string(m) + "'");
  const size_t want = alu->op == kNeg ? 1 : 2;
  if (ops.size() != want)
    return Error(std::string(m) + " takes " + std::to_string(want) + " operands");
  auto dst = Register(ops[0]);
  if (!dst) return Error("'" + ops[0] + "' is not a register");
  Insn insn = Make(cls | alu->op, *dst, 0, movsx ? movsx : alu->offset);
  if (want == 2) {
    if (auto src = Register(ops[1])) {
      insn.opcode |= kX;
      insn.src = *src;
    } else if (auto imm = Number(ops[1])) {
      if (movsx) return Error("movsx takes a register source");
      insn.imm = static_cast<int32_t>(*imm);
    } else {
      return Error("'" + ops[1] + "' is neither a register nor a number");
    }
  }
  return std::vector<Insn>{insn};
}

Result<std::vector<Insn>> LineAssembler::Jump(std::string_view m,
                                              const std::vector<std::string>& ops) {
  if (m == "ja" || m == "ja32") {
    if (ops.size() != 1) return Error(std::string(m) + " takes one target");
    auto t = Target(ops[0], position);
    if (!t) return Error("'" + ops[0] + "' is not a jump target");
    if (m == "ja") return std::vector<Insn>{Make(kJmp | kJa, 0, 0, static_cast<int16_t>(*t))};
    return std::vector<Insn>{Make(kJmp32 | kJa, 0, 0, 0, static_cast<int32_t>(*t))};
  }
  if (m == "call" || m == "callx") {
    std::vector<std::string> o = ops;
    if (o.size() == 1) o.insert(o.begin(), "helper");
    if (o.size() != 2) return Error("call takes [helper|local|runtime] and a target");
    if (auto reg = Register(o[1]); reg && o[0] == "helper") {
      return std::vector<Insn>{Make(kJmp | kX | kCall, *reg)};
    }
    if (o[0] == "local") {
      auto t = Target(o[1], position);
      if (!t) return Error("'" + o[1] + "' is not a call target");
      return std::vector<Insn>{Make(kJmp | kCall, 0, kCallLocal, 0, static_cast<int32_t>(*t))};
    }
    auto imm = Number(o[1]);
    if (!imm || (o[0] != "helper" && o[0] != "runtime")) return Error("bad call operands");
    return std::vector<Insn>{Make(kJmp | kCall, 0, o[0] == "helper" ? kCallHelper : kCallRuntime, 0,
                                  static_cast<int32_t>(*imm))};
  }
  uint8_t cls = kJmp;
  std::string_view base = m;
  if (m.size() > 2 && m.substr(m.size() - 2) == "32") {
    cls = kJmp32;
    base = m.substr(0, m.size() - 2);
  }
  const JmpName* j = nullptr;
  for (const JmpName& x : kJmpOps) {
    if (base == x.name) j = &x;
  }
  if (j == nullptr) return Error("unknown mnemonic '" + std::string(m) + "'");
  if (ops.size() != 3)
    return Error(std::string(m) + " takes a register, a register or number, and a target");
  auto dst = Register(ops[0]);
  if (!dst) return Error("'" + ops[0] + "' is not a register");
  Insn insn = Make(cls | j->op, *dst);
  if (auto src = Register(ops[1])) {
    insn.opcode |= kX;
    insn.src = *src;
  } else if (auto imm = Number(ops[1])) {
    insn.imm = static_cast<int32_t>(*imm);
  } else {
    return Error("'" + ops[1] + "' is neither a register nor a number");
  }
  auto t = Target(ops[2], position);
  if (!t) return Error("'" + ops[2] + "' is not a jump target");
  insn.offset = static_cast<int16_t>(*t);
  return std::vector<Insn>{insn};
}

Result<std::vector<Insn>> LineAssembler::Memory(std::string_view m,
                                                const std::vector<std::string>& ops) {
  if (m == "lddw") {
    if (ops.size() != 2) return Error("lddw takes a register and a number");
    auto dst = Register(ops[0]);
    auto imm = Number(ops[1]);
    if (!dst || !imm) return Error("lddw takes a register and a number");
    const auto v = static_cast<uint64_t>(*imm);
    return std::vector<Insn>{
        Make(kLddw, *dst, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v))),
        Make(0, 0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v >> 32)))};
  }
  for (const auto& [prefix, opcode] : {std::pair<const char*, uint8_t>{"ldxs", kLdx | kMemSx},
                                       {"ldx", kLdx | kMem},
                                       {"stx", kStx | kMem},
                                       {"st", kSt | kMem}}) {
    if (!StartsWith(m, prefix)) continue;
    const std::string_view suffix = m.substr(std::strlen(prefix));
    const SizeName* size = nullptr;
    for (const SizeName& s : kSizes) {
      if (suffix == s.suffix) size = &s;
    }
    if (size == nullptr) break;
    if (ops.size() != 2) return Error(std::string(m) + " takes two operands");
    const uint8_t op = opcode | size->size;
    if (ClassOf(op) == kLdx) {
      auto dst = Register(ops[0]);
      auto addr = Address(ops[1]);
      if (!dst || !addr) return Error(std::string(m) + " takes a register and [register+offset]");
      return std::vector<Insn>{Make(op, *dst, addr->first, addr->second)};
    }
    auto addr = Address(ops[0]);
    if (!addr) return Error("'" + ops[0] + "' is not [register+offset]");
    if (ClassOf(op) == kStx) {
      auto src = Register(ops[1]);
      if (!src) return Error("'" + ops[1] + "' is not a register");
      return std::vector<Insn>{Make(op, addr->first, *src, addr->second)};
    }
    auto imm = Number(ops[1]);
    if (!imm) return Error("'" + ops[1] + "' is not a number");
    return std::vector<Insn>{Make(op, addr->first, 0, addr->second, static_cast<int32_t>(*imm))};
  }
  return Error("unknown mnemonic '" + std::string(m) + "'");
}

// lock [fetch] add|or|and|xor|xchg|cmpxchg[32] [dst+off], src
Result<std::vector<Insn>> LineAssembler::Atomic(const std::vector<std::string>& ops) {
  std::vector<std::string> o = ops;
  bool fetch = false;
  if (!o.empty() && o[0] == "fetch") {
    fetch = true;
    o.erase(o.begin());
  }
  if (o.size() != 3) return Error("lock takes [fetch] op [register+offset], register");
  std::string_view name = o[0];
  uint8_t size = kDW;
  if (name.size() > 2 && name.substr(name.size() - 2) == "32") {
    size = kW;
    name = name.substr(0, name.size() - 2);
  }
  int32_t imm = -1;
  if (name == "xchg") imm = kXchg;
  if (name == "cmpxchg") imm = kCmpXchg;
  for (size_t i = 0; i < 4; ++i) {
    if (name == kAtomicNames[i]) imm = kAtomicOps[i] | (fetch ? kFetch : 0);
  }
  if (imm < 0) return Error("unknown atomic operation '" + o[0] + "'");
  auto addr = Address(o[1]);
  auto src = Register(o[2]);
  if (!addr || !src) return Error("lock takes [register+offset], register");
  return std::vector<Insn>{Make(kStx | kAtomic | size, addr->first, *src, addr->second, imm)};
}

// Splits "op a, b, c" into the mnemonic and operands; commas and spaces both
// separate, except inside [...].
std::vector<std::string> Tokens(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : line) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth == 0 && (c == ' ' || c == '\t' || c == ',')) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (c != ' ' && c != '\t') cur += c;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

Result<Program> Assemble(std::string_view text) {
  LineAssembler as;
  Program program;
  std::map<std::string, size_t> labels;
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (size_t c = line.find_first_of("#;"); c != std::string_view::npos) line = line.substr(0, c);
    if (size_t c = line.find("//"); c != std::string_view::npos) line = line.substr(0, c);
    std::vector<std::string> tokens = Tokens(line);
    // Labels, possibly followed by an instruction on the same line.
    while (!tokens.empty() && tokens[0].size() > 1 && tokens[0].back() == ':') {
      const std::string label = tokens[0].substr(0, tokens[0].size() - 1);
      if (!labels.emplace(label, program.size()).second) {
        return Status::Error("line " + std::to_string(line_no) + ": label '" + label +
                             "' defined twice");
      }
      tokens.erase(tokens.begin());
    }
    if (tokens.empty()) continue;
    // Conformance files jump to `exit` as a label meaning the first exit.
    if (tokens[0] == "exit" && !labels.count("exit")) labels.emplace("exit", program.size());
    as.position = program.size();
    const std::vector<std::string> ops(tokens.begin() + 1, tokens.end());
    auto insns = as.Line(line_no, tokens[0], ops);
    if (!insns.ok()) return insns.status();
    program.insert(program.end(), insns->begin(), insns->end());
    if (start > text.size()) break;
  }
  for (const auto& f : as.fixups) {
    auto it = labels.find(f.label);
    if (it == labels.end()) {
      return Status::Error("line " + std::to_string(f.line) + ": unknown label '" + f.label + "'");
    }
    const int64_t rel = static_cast<int64_t>(it->second) - static_cast<int64_t>(f.at) - 1;
    Insn& insn = program[f.at];
    if (OpOf(insn.opcode) == kCall || insn.opcode == (kJmp32 | kJa)) {
      insn.imm = static_cast<int32_t>(rel);
    } else {
      if (rel < -32768 || rel > 32767) {
        return Status::Error("line " + std::to_string(f.line) + ": label '" + f.label +
                             "' is too far for a 16-bit offset");
      }
      insn.offset = static_cast<int16_t>(rel);
    }
  }
  return program;
}

Result<std::vector<uint8_t>> ParseHexBytes(std::string_view hex) {
  std::vector<uint8_t> out;
  int nibbles = 0;
  uint8_t cur = 0;
  for (size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ',') {
      if (nibbles == 1)
        return Status::Error("odd number of hex digits before offset " + std::to_string(i));
      continue;
    } else if (c == 'x' && nibbles == 1 && cur == 0) {  // a 0x prefix
      nibbles = 0;
      continue;
    } else {
      return Status::Error("'" + std::string(1, c) + "' at offset " + std::to_string(i) +
                           " is not a hex digit");
    }
    cur = static_cast<uint8_t>(cur << 4 | v);
    if (++nibbles == 2) {
      out.push_back(cur);
      cur = 0;
      nibbles = 0;
    }
  }
  if (nibbles != 0) return Status::Error("odd number of hex digits");
  return out;
}

Result<Program> ParseHexProgram(std::string_view hex) {
  auto bytes = ParseHexBytes(hex);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() % sizeof(Insn) != 0) {
    return Status::Error("program of " + std::to_string(bytes->size()) +
                         " bytes is not a whole number of 8-byte instructions");
  }
  Program p(bytes->size() / sizeof(Insn));
  std::memcpy(p.data(), bytes->data(), bytes->size());
  return p;
}

std::string DisassembleOne(const Insn* insn) {
  const Insn& in = *insn;
  auto r = [](int n) { return "%r" + std::to_string(n); };
  auto off = [](int64_t v) { return (v >= 0 ? "+" : "") + std::to_string(v); };
  auto addr = [&](int reg, int16_t o) { return "[" + r(reg) + (o ? off(o) : "") + "]"; };
  const uint8_t cls = ClassOf(in.opcode), op = OpOf(in.opcode);
  const char* size_names[] = {"w", "h", "b", "dw"};
  const std::string size = size_names[SizeOf(in.opcode) >> 3];
  switch (cls) {
    case kLd:
      if (in.opcode == kLddw) {
        const uint64_t v =
            static_cast<uint32_t>(in.imm) | uint64_t{static_cast<uint32_t>(insn[1].imm)} << 32;
        return "lddw " + r(in.dst) + ", " + Hex(v);
      }
      break;
    case kLdx:
      return std::string(ModeOf(in.opcode) == kMemSx ? "ldxs" : "ldx") + size + " " + r(in.dst) +
             ", " + addr(in.src, in.offset);
    case kSt:
      return "st" + size + " " + addr(in.dst, in.offset) + ", " + std::to_string(in.imm);
    case kStx: {
      if (ModeOf(in.opcode) != kAtomic)
        return "stx" + size + " " + addr(in.dst, in.offset) + ", " + r(in.src);
      std::string name = in.imm == kXchg ? "xchg" : in.imm == kCmpXchg ? "cmpxchg" : "?";
      for (size_t i = 0; i < 4; ++i) {
        if ((in.imm & ~kFetch) == kAtomicOps[i])
          name = std::string(in.imm & kFetch ? "fetch " : "") + kAtomicNames[i];
      }
      return "lock " + name + (size == "w" ? "32 " : " ") + addr(in.dst, in.offset) + ", " +
             r(in.src);
    }
    case kAlu:
    case kAlu64: {
      const std::string bits = cls == kAlu ? "32" : "";
      if (op == kEnd) {
        const char* kind = cls == kAlu64 ? "swap" : SourceOf(in.opcode) == kX ? "be" : "le";
        return kind + std::to_string(in.imm) + " " + r(in.dst);
      }
      if (op == kNeg) return "neg" + bits + " " + r(in.dst);
      if (op == kMov && in.offset != 0 && SourceOf(in.opcode) == kX) {
        return "movsx" + std::to_string(in.offset) + (cls == kAlu ? "32" : "64") + " " + r(in.dst) +
               ", " + r(in.src);
      }
      std::string name = "?";
      for (const AluName& a : kAluOps) {
        if (a.op == op && a.offset == (op == kDiv || op == kMod ? in.offset : 0)) name = a.name;
      }
      const std::string source = SourceOf(in.opcode) == kX ? r(in.src) : std::to_string(in.imm);
      return name + bits + " " + r(in.dst) + ", " + source;
    }
    default: {  // jumps
      if (in.opcode == (kJmp | kExit)) return "exit";
      if (in.opcode == (kJmp | kJa)) return "ja " + off(in.offset);
      if (in.opcode == (kJmp32 | kJa)) return "ja32 " + off(in.imm);
      if (in.opcode == (kJmp | kX | kCall)) return "call " + r(in.dst);
      if (in.opcode == (kJmp | kCall)) {
        if (in.src == kCallLocal) return "call local " + off(in.imm);
        return std::string("call ") + (in.src == kCallRuntime ? "runtime " : "") +
               std::to_string(in.imm);
      }
      std::string name = "?";
      for (const JmpName& j : kJmpOps) {
        if (j.op == op) name = j.name;
      }
      const std::string source = SourceOf(in.opcode) == kX ? r(in.src) : std::to_string(in.imm);
      return name + (cls == kJmp32 ? "32 " : " ") + r(in.dst) + ", " + source + ", " +
             off(in.offset);
    }
  }
  return ".byte opcode " + Hex(in.opcode);
}

std::string Disassemble(const Program& program) {
  std::string out;
  for (size_t pc = 0; pc < program.size(); ++pc) {
    if (program[pc].opcode == kLddw && pc + 1 >= program.size()) {
      out += ".byte opcode 0x18 (truncated lddw)\n";
      break;
    }
    out += DisassembleOne(&program[pc]) + "\n";
    if (program[pc].opcode == kLddw) ++pc;
  }
  return out;
}

}  // namespace perfkit::jit
