#include "subsystems/jit/conformance.h"

#include <charconv>

#include "subsystems/jit/assembler.h"
#include "subsystems/jit/verifier.h"

namespace perfkit::jit {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> ParseNumber(std::string_view s) {
  s = Trim(s);
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return negative ? uint64_t{0} - v : v;
}

}  // namespace

Result<DataTest> ParseDataTest(std::string_view text) {
  DataTest test;
  std::string section;
  std::string asm_text, mem_text, result_text, error_text;
  bool has_asm = false, has_error = false, has_result = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, 3) == "-- ") {
      section = std::string(Trim(line.substr(3)));
      has_asm |= section == "asm";
      has_error |= section == "error";
      has_result |= section == "result";
      if (section == "map")
        return Status::Error("the test needs maps, which perfkit does not support");
      continue;
    }
    std::string_view body = line;
    if (section != "asm" && section != "error") {
      if (size_t c = body.find('#'); c != std::string_view::npos) body = body.substr(0, c);
    }
    std::string* target = section == "asm"      ? &asm_text
                          : section == "mem"    ? &mem_text
                          : section == "result" ? &result_text
                          : section == "error"  ? &error_text
                                                : nullptr;
    if (target != nullptr) {
      target->append(body);
      target->push_back('\n');
    }
  }
  if (!has_asm) return Status::Error("no '-- asm' section");
  auto program = Assemble(asm_text);
  if (!program.ok()) return Status::Error("asm: " + program.error());
  test.program = std::move(program).value();
  auto mem = ParseHexBytes(mem_text);
  if (!mem.ok()) return Status::Error("mem: " + mem.error());
  test.memory = std::move(mem).value();
  if (has_result && !Trim(result_text).empty()) {
    auto r = ParseNumber(result_text);
    if (!r)
      return Status::Error("result: '" + std::string(Trim(result_text)) + "' is not a number");
    test.result = *r;
  }
  if (has_error) test.error = std::string(Trim(error_text));
  if (!test.result && !test.error) return Status::Error("neither '-- result' nor '-- error'");
  return test;
}

Result<Engine> ParseEngine(std::string_view name) {
  if (name == "interp" || name == "interpreter") return Engine::kInterpreter;
  if (name == "jit") return Engine::kJit;
  if (name == "tiered") return Engine::kTiered;
  return Status::Error("unknown engine '" + std::string(name) + "' (interp, jit, tiered)");
}

Result<uint64_t> RunProgram(const Program& program, std::vector<uint8_t> memory, Engine engine,
                            const HelperTable& helpers) {
  Memory mem{memory.data(), memory.size()};
  if (engine == Engine::kTiered) {
    TieredVm vm(helpers);
    return vm.Run(program, mem);
  }
  if (Status s = Verify(program, helpers); !s.ok()) return s;
  if (engine == Engine::kInterpreter) return Interpret(program, helpers, mem);
  auto code = Compile(program, helpers);
  if (!code.ok()) return code.status();
  return (*code)->Run(mem);
}

TestOutcome RunDataTest(const DataTest& test, Engine engine) {
  auto r = RunProgram(test.program, test.memory, engine);
  if (test.error) {
    if (r.ok()) return {false, "expected an error, got r0 = " + std::to_string(*r)};
    return {true, r.error(), r.error().find(*test.error) != std::string::npos};
  }
  if (!r.ok()) return {false, r.error()};
  // As the bpf_conformance runner does, a 32-bit expectation is compared
  // with the low half of r0.
  const bool match = *r == *test.result ||
                     (*test.result <= 0xffffffffu && static_cast<uint32_t>(*r) == *test.result);
  if (match) return {true, ""};
  char buf[96];
  std::snprintf(buf, sizeof buf, "r0 = 0x%llx, expected 0x%llx",
                static_cast<unsigned long long>(*r), static_cast<unsigned long long>(*test.result));
  return {false, buf};
}

}  // namespace perfkit::jit
