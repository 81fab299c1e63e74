// The eBPF VM: our conformance-format files under tests/jit/data on every
// engine (including the exact error messages), assembler/disassembler round
// trips, the JIT against the interpreter on random programs (results, faults
// and memory), tiering, and W^X code pages.
#include "subsystems/jit/jit.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "subsystems/jit/assembler.h"
#include "subsystems/jit/conformance.h"
#include "subsystems/jit/ranges.h"
#include "subsystems/jit/tiering.h"
#include "subsystems/jit/verifier.h"

namespace perfkit::jit {
namespace {

std::vector<std::filesystem::path> DataFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(PERFKIT_JIT_DATA_DIR)) {
    if (e.path().extension() == ".data") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool JitHere() { return *JitUnavailableReason() == '\0'; }

class DataFileTest : public ::testing::TestWithParam<Engine> {};

TEST_P(DataFileTest, EveryFilePasses) {
  if (GetParam() == Engine::kJit && !JitHere()) GTEST_SKIP() << JitUnavailableReason();
  const auto files = DataFiles();
  ASSERT_GE(files.size(), 40u);
  for (const auto& f : files) {
    auto test = ParseDataTest(Slurp(f));
    ASSERT_TRUE(test.ok()) << f << ": " << test.error();
    const TestOutcome o = RunDataTest(*test, GetParam());
    EXPECT_TRUE(o.passed) << f.filename() << ": " << o.detail;
    EXPECT_TRUE(o.message_matches) << f.filename() << ": got '" << o.detail << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, DataFileTest,
                         ::testing::Values(Engine::kInterpreter, Engine::kJit, Engine::kTiered));

TEST(Assembler, RoundTripsThroughTheDisassembler) {
  for (const auto& f : DataFiles()) {
    auto test = ParseDataTest(Slurp(f));
    ASSERT_TRUE(test.ok());
    const std::string text = Disassemble(test->program);
    auto again = Assemble(text);
    ASSERT_TRUE(again.ok()) << f << "\n" << text << again.error();
    ASSERT_EQ(again->size(), test->program.size()) << f;
    EXPECT_EQ(std::memcmp(again->data(), test->program.data(), again->size() * sizeof(Insn)), 0)
        << f << "\n"
        << text;
  }
}

TEST(Assembler, ErrorsNameTheLine) {
  auto r = Assemble("mov %r0, 1\nmvo %r0, 2\nexit\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "line 2: unknown mnemonic 'mvo'");
  EXPECT_EQ(Assemble("ja nowhere\n").error(), "line 1: unknown label 'nowhere'");
  EXPECT_EQ(Assemble("ldxw %r0, [%r1+x]\n").error(),
            "line 1: ldxw takes a register and [register+offset]");
}

TEST(Assembler, EncodesLikeTheSpec) {
  auto p = Assemble("mov32 %r0, 0\nstxw [%r1+2], %r2\nlddw %r0, 0x1122334455667788\nja +3\n");
  ASSERT_TRUE(p.ok()) << p.error();
  ASSERT_EQ(p->size(), 5u);
  EXPECT_EQ((*p)[0].opcode, 0xb4);
  EXPECT_EQ((*p)[1].opcode, 0x63);
  EXPECT_EQ((*p)[1].dst, 1);
  EXPECT_EQ((*p)[1].src, 2);
  EXPECT_EQ((*p)[1].offset, 2);
  EXPECT_EQ((*p)[2].opcode, 0x18);
  EXPECT_EQ(static_cast<uint32_t>((*p)[2].imm), 0x55667788u);
  EXPECT_EQ(static_cast<uint32_t>((*p)[3].imm), 0x11223344u);
  EXPECT_EQ((*p)[4].opcode, 0x05);
  EXPECT_EQ((*p)[4].offset, 3);
}

TEST(Verifier, RejectsGarbageWithTheInstructionIndex) {
  Program p(2);
  p[0] = Insn{0xff, 0, 0, 0, 0};
  p[1] = Insn{0x95, 0, 0, 0, 0};
  const Status s = Verify(p, StandardHelpers());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("insn 0: ", 0), 0u) << s.message();
  EXPECT_FALSE(Verify({}, StandardHelpers()).ok());
  Program huge(kMaxInsns + 1, Insn{0xb7, 0, 0, 0, 0});
  EXPECT_NE(Verify(huge, StandardHelpers()).message().find("limit"), std::string::npos);
}

// Messages name places as the program sees them: r10+0, not "r100", and a
// fault's address relative to the memory or the stack, never a host address.
TEST(Verifier, MessagesNamePlacesAsTheProgramSeesThem) {
  auto at_top = Assemble("stxdw [%r10], %r1\nexit\n");
  ASSERT_TRUE(at_top.ok()) << at_top.error();
  EXPECT_NE(Verify(*at_top, StandardHelpers()).message().find("stack access at r10+0 of 8 bytes"),
            std::string::npos)
      << Verify(*at_top, StandardHelpers()).message();
  auto far = Assemble("ldxdw %r0, [%r1+1000]\nexit\n");
  ASSERT_TRUE(far.ok()) << far.error();
  uint64_t mem[2] = {};
  auto run = Interpret(*far, StandardHelpers(), {reinterpret_cast<uint8_t*>(mem), sizeof mem});
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error(),
            "insn 0: out-of-bounds access of 8 bytes at memory+1000 (the memory is 16 bytes) "
            "(outside the memory and the stack)");
}

// Random straight-line and branching programs over every instruction class;
// whatever the verifier accepts must behave the same in both engines.
class RandomProgram {
 public:
  explicit RandomProgram(uint32_t seed) : rng_(seed) {}

  std::string Text(int length) {
    std::string s;
    for (int r = 0; r <= 9; ++r) {  // r1 keeps pointing at the memory
      if (r != 1) s += "lddw %r" + std::to_string(r) + ", " + std::to_string(Imm64()) + "\n";
    }
    for (int i = 0; i < length; ++i) s += "l" + std::to_string(i) + ": " + Line(i, length) + "\n";
    s += "l" + std::to_string(length) + ": exit\n";
    return s;
  }

 private:
  int Reg() { return static_cast<int>(rng_() % 10); }
  std::string R() { return "%r" + std::to_string(Reg()); }
  int64_t Imm() {
    static const int64_t kInteresting[] = {0,  1,  -1,         2,         31,  32,
                                           63, 64, 0x7fffffff, INT32_MIN, 255, 0x8000};
    return rng_() % 2 ? kInteresting[rng_() % std::size(kInteresting)]
                      : static_cast<int32_t>(rng_());
  }
  uint64_t Imm64() {
    return rng_() % 2 ? static_cast<uint64_t>(Imm()) : (uint64_t{rng_()} << 32 | rng_());
  }
  std::string Line(int i, int length) {
    static const char* kAlu[] = {"add", "sub", "mul", "div",  "sdiv", "or",  "and",
                                 "lsh", "rsh", "mod", "smod", "xor",  "mov", "arsh"};
    static const char* kJmp[] = {"jeq",  "jgt", "jge", "jset", "jne", "jsgt",
                                 "jsge", "jlt", "jle", "jslt", "jsle"};
    static const char* kSize[] = {"b", "h", "w", "dw"};
    const std::string target =
        "l" + std::to_string(i + 1 + static_cast<int>(rng_() % (length - i)));
    switch (rng_() % 12) {
      case 0:
      case 1:
      case 2:
        return std::string(kAlu[rng_() % 14]) + (rng_() % 2 ? "32 " : " ") + R() + ", " + R();
      case 3:
      case 4:
        return std::string(kAlu[rng_() % 14]) + (rng_() % 2 ? "32 " : " ") + R() + ", " +
               std::to_string(Imm());
      case 5: {
        static const char* kOther[] = {"neg",  "neg32", "be16",   "be32",   "be64",  "le16",
                                       "le32", "le64",  "swap16", "swap32", "swap64"};
        return std::string(kOther[rng_() % 11]) + " " + R();
      }
      case 6: {
        static const char* kSx[] = {"movsx832", "movsx864", "movsx1632", "movsx1664", "movsx3264"};
        return std::string(kSx[rng_() % 5]) + " " + R() + ", " + R();
      }
      case 7:
        return std::string(kJmp[rng_() % 11]) + (rng_() % 2 ? "32 " : " ") + R() + ", " +
               (rng_() % 2 ? R() : std::to_string(Imm())) + ", " + target;
      case 8: {  // memory through r1 (the 64-byte buffer) or the stack
        const std::string size = kSize[rng_() % 4];
        const std::string addr = rng_() % 2 ? "[%r10-" + std::to_string(8 * (1 + rng_() % 8)) + "]"
                                            : "[%r1+" + std::to_string(rng_() % 72) + "]";
        const int kind = static_cast<int>(rng_() % 4);
        if (kind == 0) return "ldx" + size + " %r" + std::to_string(2 + rng_() % 8) + ", " + addr;
        if (kind == 1)
          return "ldxs" + std::string(kSize[rng_() % 3]) + " %r" + std::to_string(2 + rng_() % 8) +
                 ", " + addr;
        if (kind == 2) return "st" + size + " " + addr + ", " + std::to_string(Imm());
        return "stx" + size + " " + addr + ", " + R();
      }
      case 9: {
        static const char* kAtomic[] = {"add", "fetch add", "or",   "fetch or", "and", "fetch and",
                                        "xor", "fetch xor", "xchg", "cmpxchg"};
        return std::string("lock ") + kAtomic[rng_() % 10] + (rng_() % 2 ? "32" : "") + " [%r10-" +
               std::to_string(8 * (1 + rng_() % 4)) + "], %r" + std::to_string(2 + rng_() % 8);
      }
      case 10:
        return "ja " + target;
      default:
        return "call " + std::to_string(rng_() % 2 ? 0 : 3);
    }
  }
  std::mt19937 rng_;
};

TEST(Differential, JitMatchesTheInterpreterOnRandomPrograms) {
  if (!JitHere()) GTEST_SKIP() << JitUnavailableReason();
  int verified = 0, faulted = 0, proven = 0;
  for (uint32_t seed = 1; seed <= 4000; ++seed) {
    RandomProgram gen(seed);
    auto program = Assemble(gen.Text(8 + static_cast<int>(seed % 40)));
    ASSERT_TRUE(program.ok()) << program.error();
    if (!Verify(*program, StandardHelpers()).ok()) continue;
    ++verified;
    // One buffer for both runs, so a program that computes with its address
    // sees the same value in both. Accesses reach up to 79 bytes in: with
    // 128 bytes the JIT's code without the checks it proved needless runs.
    const size_t bytes = seed % 2 ? 64 : 128;
    std::vector<uint8_t> mem(bytes), initial(bytes);
    for (size_t i = 0; i < mem.size(); ++i)
      mem[i] = initial[i] = static_cast<uint8_t>(i * 37 + seed);
    alignas(16) static uint8_t stack[kStackRegionBytes];
    RunOptions options;
    options.stack = stack;
    auto interp = Interpret(*program, StandardHelpers(), {mem.data(), mem.size()}, options);
    const std::vector<uint8_t> a = mem;
    mem = initial;
    auto code = Compile(*program, StandardHelpers());
    ASSERT_TRUE(code.ok()) << code.error();
    const size_t needs = ProveAccesses(*program).min_memory;
    proven += needs > 0 && needs <= bytes;
    auto native = (*code)->Run({mem.data(), mem.size()}, options);
    const std::vector<uint8_t>& b = mem;
    ASSERT_EQ(interp.ok(), native.ok())
        << "seed " << seed << "\n"
        << Disassemble(*program) << (interp.ok() ? native.error() : interp.error());
    if (interp.ok()) {
      ASSERT_EQ(*interp, *native) << "seed " << seed << "\n" << Disassemble(*program);
    } else {
      ++faulted;
      ASSERT_EQ(interp.error(), native.error()) << "seed " << seed;
    }
    ASSERT_EQ(a, b) << "memory differs, seed " << seed << "\n" << Disassemble(*program);
  }
  EXPECT_GT(verified, 1000);
  EXPECT_GT(faulted, 10);
  EXPECT_GT(proven, 100) << proven;
}

// What the range analysis proves, and what it must not.
TEST(Ranges, ProvesBoundedLoopsAndNothingElse) {
  struct Case {
    const char* text;
    size_t min_memory;  // 0: nothing proven
  };
  for (const Case& c : std::vector<Case>{
           // A counted loop over 1024 bytes, as the sieve clears its memory.
           {"mov %r2, 0\nl: mov %r3, %r1\nadd %r3, %r2\nstb [%r3], 0\nadd %r2, 1\n"
            "jlt %r2, 1024, l\nexit\n",
            1024},
           // Bounded by a comparison before the access, with an offset.
           {"ldxw %r2, [%r1+4]\njgt %r2, 99, out\nadd %r1, %r2\nldxb %r0, [%r1+8]\n"
            "out: exit\n",
            108},
           // Bounded by a mask.
           {"ldxdw %r2, [%r1]\nand %r2, 255\nadd %r1, %r2\nstxb [%r1], %r2\nexit\n", 256},
           // Unbounded: the memory's size from r2.
           {"add %r1, %r2\nldxb %r0, [%r1-1]\nexit\n", 0},
           // Before the memory.
           {"ldxb %r0, [%r1-1]\nexit\n", 0},
           // A 32-bit add wraps: the sum is anything below 2^32 (a proof for 4
           // GiB of memory, never used here).
           {"mov32 %r2, -1\nadd32 %r2, 2\nadd %r1, %r2\nldxb %r0, [%r1]\nexit\n", size_t{1} << 32},
           // A 64-bit constant that wraps the pointer round.
           {"lddw %r2, 0xffffffffffffffff\nadd %r1, %r2\nldxb %r0, [%r1]\nexit\n", 0},
           // A signed comparison says nothing of the unsigned range.
           {"ldxdw %r2, [%r1]\njsgt %r2, 10, out\nadd %r1, %r2\nldxb %r0, [%r1]\n"
            "out: exit\n",
            8},
           // A helper call keeps r6-r9.
           {"mov %r6, %r1\ncall 0\nldxb %r0, [%r6+3]\nexit\n", 4},
       }) {
    auto program = Assemble(std::string("mov %r0, 0\n") + c.text);
    ASSERT_TRUE(program.ok()) << c.text << program.error();
    ASSERT_TRUE(Verify(*program, StandardHelpers()).ok()) << c.text;
    EXPECT_EQ(ProveAccesses(*program).min_memory, c.min_memory) << c.text;
  }
}

// Which runs cannot exhaust their budget, and a bound on what they spend.
TEST(Ranges, BoundsTheWorkOfCountedLoopsOnly) {
  struct Case {
    const char* text;
    uint64_t max_work;
  };
  for (const Case& c : std::vector<Case>{
           // 9 passes back over 2 instructions; the bound allows 10.
           {"l: add %r0, 1\njlt %r0, 10, l\nexit\n", 20},
           // The exit test at the head, the step from a register >= 2.
           {"mov %r2, 2\nl: jge %r0, 100, out\nadd %r0, %r2\nja l\nout: exit\n", 3 * 50},
           // Nested: 11 passes of the outer loop, each entering the inner one.
           {"mov %r2, 0\no: mov %r3, 0\ni: add %r3, 1\njlt %r3, 5, i\nadd %r2, 1\n"
            "jlt %r2, 10, o\nexit\n",
            2 * 11 * 5 + 5 * 10 - 0},
           // Unbounded: no exit at all; a step of zero; a reset inside the
           // loop; a test that can be jumped over; an equality that a step
           // of 2 skips.
           {"l: add %r0, 1\nja l\nexit\n", kUnbounded},
           {"mov %r2, 0\nl: add %r0, %r2\njlt %r0, 10, l\nexit\n", kUnbounded},
           {"l: add %r0, 1\nmov %r0, 0\njlt %r0, 10, l\nexit\n", kUnbounded},
           {"ldxb %r5, [%r1]\nl: jeq %r5, 0, s\njge %r0, 10, out\ns: add %r0, 1\nja l\n"
            "out: exit\n",
            kUnbounded},
           {"l: add %r0, 2\njne %r0, 9, l\nexit\n", kUnbounded},
           // A step that can wrap round.
           {"ldxdw %r2, [%r1]\nor %r2, 1\nl: add %r0, %r2\njlt %r0, 10, l\nexit\n", kUnbounded},
       }) {
    auto program = Assemble(std::string("mov %r0, 0\n") + c.text);
    ASSERT_TRUE(program.ok()) << c.text << program.error();
    ASSERT_TRUE(Verify(*program, StandardHelpers()).ok()) << c.text;
    EXPECT_EQ(MaxWork(*program), c.max_work) << c.text;
  }
}

// A budget below the bound runs the code that counts, and stops where the
// interpreter does; at or above it, the code that does not count.
TEST(Ranges, BudgetsBelowTheBoundStillStopWhereTheInterpreterDoes) {
  if (!JitHere()) GTEST_SKIP() << JitUnavailableReason();
  auto program = Assemble("mov %r0, 0\nl: add %r0, 1\njlt %r0, 1000, l\nexit\n");
  ASSERT_TRUE(program.ok());
  ASSERT_EQ(MaxWork(*program), 2000u);
  auto code = Compile(*program, StandardHelpers());
  ASSERT_TRUE(code.ok());
  for (uint64_t budget : {0, 1, 1000, 1997, 1998, 1999, 2000, 1 << 20}) {
    RunOptions options;
    options.work_budget = budget;
    auto interp = Interpret(*program, StandardHelpers(), {}, options);
    auto native = (*code)->Run({}, options);
    ASSERT_EQ(interp.ok(), native.ok()) << budget;
    if (interp.ok()) {
      EXPECT_EQ(*native, 1000u) << budget;
    } else {
      EXPECT_EQ(interp.error(), native.error()) << budget;
    }
  }
}

// With the checks it proved needless left out, a program still faults
// where the interpreter does on memory smaller than the proof assumed, and
// agrees with it on larger memory.
TEST(Ranges, ProvenCodeAgreesWithTheInterpreterOnEveryMemorySize) {
  if (!JitHere()) GTEST_SKIP() << JitUnavailableReason();
  auto program = Assemble(
      "mov %r0, 0\nmov %r2, 0\nl: mov %r3, %r1\nadd %r3, %r2\nldxb %r4, [%r3]\n"
      "add %r0, %r4\nstb [%r3], 7\nadd %r2, 1\njlt %r2, 300, l\nexit\n");
  ASSERT_TRUE(program.ok()) << program.error();
  ASSERT_EQ(ProveAccesses(*program).min_memory, 300u);
  auto code = Compile(*program, StandardHelpers());
  ASSERT_TRUE(code.ok()) << code.error();
  for (size_t bytes : {0, 1, 299, 300, 301, 4096}) {
    std::vector<uint8_t> a(bytes, 1), b(bytes, 1);
    auto interp = Interpret(*program, StandardHelpers(), {a.data(), a.size()});
    auto native = (*code)->Run({b.data(), b.size()});
    Invocation call(**code, {b.data(), b.size()});
    ASSERT_EQ(interp.ok(), native.ok()) << bytes;
    if (interp.ok()) {
      EXPECT_EQ(*interp, *native) << bytes;
      EXPECT_EQ(*interp, 300u) << bytes;
    } else {
      EXPECT_EQ(interp.error(), native.error()) << bytes;
    }
    EXPECT_EQ(a, b) << bytes;
    const uint64_t again = call.Call();
    EXPECT_EQ(call.faulted(), !interp.ok()) << bytes;
    if (interp.ok()) {
      EXPECT_EQ(again, 7u * 300) << bytes;
    }
  }
}

// Counted loops, nested or not, with their tests at the top or the bottom,
// steps from constants or registers (sometimes zero), reading and writing
// memory at the induction register: the programs the range analysis proves
// things about. Every budget and memory size, from too small to plenty,
// must give what the interpreter gives.
std::string CountedLoops(std::mt19937& rng) {
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* kStay[] = {"jlt", "jle", "jne"};   // at the bottom: jump back while ...
  const char* kLeave[] = {"jge", "jgt", "jeq"};  // at the top: leave once ...
  std::string t = "mov %r0, 0\nmov %r8, " + std::to_string(pick(3)) + "\n";
  const bool nested = pick(2) == 0;
  const auto loop = [&](const std::string& name, const std::string& v, const std::string& body) {
    const std::string bound = std::to_string(pick(300));
    const std::string step = pick(4) == 0 ? "%r8" : std::to_string(pick(6));
    if (pick(2) == 0) {
      return name + ": " + body + "add " + v + ", " + step + "\n" + kStay[pick(3)] + " " + v +
             ", " + bound + ", " + name + "\n";
    }
    return name + ": " + kLeave[pick(3)] + " " + v + ", " + bound + ", " + name + "_out\n" + body +
           "add " + v + ", " + step + "\nja " + name + "\n" + name + "_out: ";
  };
  std::string inner = "mov %r3, %r1\nadd %r3, %r7\n";
  inner += pick(2) ? "ldxb %r4, [%r3]\nadd %r0, %r4\n" : "stb [%r3], 3\nadd %r0, 1\n";
  std::string body = "mov %r7, " + std::to_string(pick(4)) + "\n";
  body += nested ? loop("inner", "%r7", inner) + "mov %r0, %r0\n" : inner;
  t += "mov %r6, " + std::to_string(pick(4)) + "\n" + loop("outer", "%r6", body) + "exit\n";
  return t;
}

TEST(Differential, CountedLoopsMatchTheInterpreterOnEveryBudgetAndMemory) {
  if (!JitHere()) GTEST_SKIP() << JitUnavailableReason();
  std::mt19937 rng(7);
  int bounded = 0, unchecked = 0;
  for (int n = 0; n < 1500; ++n) {
    const std::string text = CountedLoops(rng);
    auto program = Assemble(text);
    ASSERT_TRUE(program.ok()) << text << program.error();
    if (!Verify(*program, StandardHelpers()).ok()) continue;
    const uint64_t work = MaxWork(*program);
    const size_t needs = ProveAccesses(*program).min_memory;
    auto code = Compile(*program, StandardHelpers());
    ASSERT_TRUE(code.ok()) << code.error();
    for (int trial = 0; trial < 4; ++trial) {
      RunOptions options;
      options.work_budget = work != kUnbounded && trial < 2 ? work - trial : rng() % 4000;
      const size_t bytes = trial % 2 ? needs : rng() % 400;
      bounded += work != kUnbounded && options.work_budget >= work;
      unchecked += needs > 0 && bytes >= needs;
      std::vector<uint8_t> a(bytes, 1), b(bytes, 1);
      auto interp = Interpret(*program, StandardHelpers(), {a.data(), a.size()}, options);
      auto native = (*code)->Run({b.data(), b.size()}, options);
      ASSERT_EQ(interp.ok(), native.ok())
          << text << (interp.ok() ? native.error() : interp.error()) << " budget "
          << options.work_budget << " bytes " << bytes;
      if (interp.ok()) {
        ASSERT_EQ(*interp, *native) << text;
      } else {
        ASSERT_EQ(interp.error(), native.error()) << text;
      }
      ASSERT_EQ(a, b) << text;
    }
  }
  EXPECT_GT(bounded, 500);
  EXPECT_GT(unchecked, 500);
}

// One Invocation, called again and again: a fault inside a local call must
// not leave its frame open for the next call (the call depth would creep up
// to the limit, and the caller's frame bounds would stay widened).
TEST(Jit, AnInvocationStartsEachCallAfresh) {
  if (!JitHere()) GTEST_SKIP() << JitUnavailableReason();
  auto program = Assemble(R"(
    ldxdw %r2, [%r1]
    jeq %r2, 0, outside
    call local deep
    exit
  outside:
    ldxdw %r4, [%r1+8]
    mov %r3, %r10
    sub %r3, %r4
    ldxdw %r0, [%r3]
    exit
  deep:
    ldxdw %r0, [%r1+1000]
    exit
  )");
  ASSERT_TRUE(program.ok()) << program.error();
  ASSERT_TRUE(Verify(*program, StandardHelpers()).ok());
  auto code = Compile(*program, StandardHelpers());
  ASSERT_TRUE(code.ok()) << code.error();
  uint64_t mem[2] = {1, 520};  // 520: 8 bytes below the frame
  const Memory m{reinterpret_cast<uint8_t*>(mem), sizeof mem};
  Invocation call(**code, m);
  for (uint64_t which : {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0}) {
    mem[0] = which;
    EXPECT_EQ(call.Call(), 0u);
    ASSERT_TRUE(call.faulted()) << "which=" << which;
    auto interp = Interpret(*program, StandardHelpers(), m);
    ASSERT_FALSE(interp.ok());
    EXPECT_EQ(call.FaultStatus().message(), interp.error());
  }
  auto ok = Assemble("mov %r0, 7\nexit\n");
  auto ok_code = Compile(*ok, StandardHelpers());
  Invocation seven(**ok_code, {});
  EXPECT_EQ(seven.Call(), 7u);
  EXPECT_FALSE(seven.faulted());
}

TEST(Tiering, InterpretsUntilTheThresholdThenRunsCompiledCode) {
  auto program = Assemble("mov %r0, 7\nexit\n");
  ASSERT_TRUE(program.ok());
  TieredVm vm(StandardHelpers(), {.threshold = 100, .background = false});
  for (int i = 0; i < 250; ++i) ASSERT_EQ(*vm.Run(*program, {}), 7u);
  const TieringStats s = vm.stats();
  EXPECT_EQ(s.calls, 250u);
  EXPECT_EQ(s.cache_misses, 1u);
  EXPECT_EQ(s.cache_hits, 249u);
  if (JitHere()) {
    EXPECT_EQ(s.interpreted_calls, 100u);
    EXPECT_EQ(s.compiled_calls, 150u);
    EXPECT_EQ(s.compilations, 1u);
    EXPECT_GT(s.compile_seconds, 0);
  }
}

// 50 local calls in a row: the code buffer grows to what is emitted (it
// was sized from the instruction count), and the tiered VM compiles.
TEST(Jit, CompilesProgramsWhoseCodeOutgrowsTheFirstEstimate) {
  if (!JitHere()) GTEST_SKIP() << JitUnavailableReason();
  std::string text = "mov %r6, 0\n";
  for (int i = 0; i < 50; ++i) text += "call local one\nadd %r6, %r0\n";
  text += "mov %r0, %r6\nexit\none:\nmov %r0, 1\nexit\n";
  auto program = Assemble(text);
  ASSERT_TRUE(program.ok()) << program.error();
  ASSERT_TRUE(Verify(*program, StandardHelpers()).ok());
  auto code = Compile(*program, StandardHelpers());
  ASSERT_TRUE(code.ok()) << code.error();
  EXPECT_EQ(*(*code)->Run({}, {}), 50u);
  EXPECT_EQ(*Interpret(*program, StandardHelpers(), {}), 50u);
  TieredVm vm(StandardHelpers(), {.threshold = 2, .background = false});
  for (int i = 0; i < 5; ++i) ASSERT_EQ(*vm.Run(*program, {}), 50u);
  EXPECT_EQ(vm.stats().compile_failures, 0u);
  EXPECT_EQ(vm.stats().compiled_calls, 3u);
}

// The budget meters instructions, not jumps: a loop whose body is 65,530
// instructions long gets budget / 65,530 iterations on both engines, which
// stop at the same instruction.
TEST(Jit, TheWorkBudgetBoundsInstructionsNotJumps) {
  std::string text = "mov %r0, 0\nmov %r3, 0\nloop:\nadd %r0, 1\nstxdw [%r1], %r0\n";
  for (int i = 0; i < 65527; ++i) text += "mov %r3, %r3\n";
  text += "ja32 loop\n";  // 16-bit offsets reach back only 32768
  auto program = Assemble(text);
  ASSERT_TRUE(program.ok()) << program.error();
  constexpr uint64_t kBody = 65530;
  RunOptions options;
  options.work_budget = 100 * kBody + 7;
  uint64_t iterations[2] = {};
  std::string errors[2];
  for (int engine = 0; engine < (JitHere() ? 2 : 1); ++engine) {
    uint64_t memory = 0;
    Memory m{reinterpret_cast<uint8_t*>(&memory), sizeof memory};
    Result<uint64_t> r = engine == 0 ? Interpret(*program, StandardHelpers(), m, options)
                                     : (*Compile(*program, StandardHelpers()))->Run(m, options);
    ASSERT_FALSE(r.ok());
    errors[engine] = r.error();
    iterations[engine] = memory;
  }
  EXPECT_EQ(iterations[0], 101u);  // the 101st pass runs, its back-edge cannot be paid
  EXPECT_EQ(errors[0], "insn 65531: work budget exhausted (runaway loop?)");
  if (JitHere()) {
    EXPECT_EQ(iterations[1], iterations[0]);
    EXPECT_EQ(errors[1], errors[0]);
  }
}

TEST(Tiering, BackgroundCompilationKeepsAnsweringAndCachesPerProgram) {
  auto a = Assemble("mov %r0, 1\nexit\n");
  auto b = Assemble("mov %r0, 2\nexit\n");
  auto bad = Assemble("mov %r10, 1\nexit\n");
  TieredVm vm(StandardHelpers(), {.threshold = 10, .background = true});
  // Calls keep being answered (by the interpreter) while the compiler runs.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int i = 0; i < 100 || (JitHere() && vm.stats().compilations < 2 &&
                              std::chrono::steady_clock::now() < deadline);
       ++i) {
    ASSERT_EQ(*vm.Run(*a, {}), 1u);
    ASSERT_EQ(*vm.Run(*b, {}), 2u);
  }
  ASSERT_EQ(*vm.Run(*a, {}), 1u);
  EXPECT_FALSE(vm.Run(*bad, {}).ok());
  const TieringStats s = vm.stats();
  EXPECT_EQ(s.cache_misses, 3u);
  if (JitHere()) {
    EXPECT_EQ(s.compilations, 2u);
    EXPECT_GT(s.compiled_calls, 0u);
  }
}

TEST(Jit, CodePagesAreNeverWritableAndExecutable) {
  if (!JitHere()) GTEST_SKIP() << JitUnavailableReason();
  auto program = Assemble("mov %r0, 1\nexit\n");
  auto code = Compile(*program, StandardHelpers());
  ASSERT_TRUE(code.ok());
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    std::istringstream fields(line);
    std::string range, perms;
    fields >> range >> perms;
    EXPECT_FALSE(perms[1] == 'w' && perms[2] == 'x') << line;
  }
  EXPECT_EQ(*(*code)->Run({}), 1u);
}

}  // namespace
}  // namespace perfkit::jit
