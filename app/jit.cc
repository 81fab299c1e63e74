#include "app/jit.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "app/files.h"
#include "subsystems/jit/assembler.h"
#include "subsystems/jit/conformance.h"
#include "subsystems/jit/verifier.h"

namespace perfkit::app {
namespace {

bool IsText(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".s" || ext == ".asm" || ext == ".S";
}

Result<jit::Program> LoadProgram(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  if (IsText(path)) {
    auto p = jit::Assemble(*bytes);
    if (!p.ok()) return Status::Error(path + ": " + p.error());
    return p;
  }
  if (bytes->size() % sizeof(jit::Insn) != 0) {
    return Status::Error(
        path + ": " + std::to_string(bytes->size()) +
        " bytes is not a whole number of 8-byte instructions (text programs end in .s)");
  }
  jit::Program p(bytes->size() / sizeof(jit::Insn));
  std::memcpy(p.data(), bytes->data(), bytes->size());
  return p;
}

Result<jit::Engine> Engine(const std::string& name) {
  auto engine = jit::ParseEngine(name);
  if (!engine.ok()) return Status::InvalidArgument(engine.error());
  return engine;
}

Result<std::vector<uint8_t>> Memory(const JitRunRequest& r) {
  if (!r.mem_file.empty()) {
    auto m = ReadFile(r.mem_file);
    if (!m.ok()) return m.status();
    return std::vector<uint8_t>(m->begin(), m->end());
  }
  auto m = jit::ParseHexBytes(r.mem_hex);
  if (!m.ok()) return Status::InvalidArgument("--mem: " + m.error());
  return m;
}

}  // namespace

Result<JitRunOutcome> JitRun(const JitRunRequest& request) {
  auto engine = Engine(request.engine);
  if (!engine.ok()) return engine.status();
  auto program = LoadProgram(request.file);
  if (!program.ok()) return program.status();
  auto memory = Memory(request);
  if (!memory.ok()) return memory.status();
  const jit::HelperTable& helpers = jit::StandardHelpers();
  Result<uint64_t> r0 = Status::Error("not run");
  JitRunOutcome out;
  if (*engine == jit::Engine::kTiered) {
    jit::TieredVm vm(helpers);
    for (int i = 0; i < std::max(1, request.repeat); ++i) {
      std::vector<uint8_t> copy = *memory;  // every call sees the same input
      r0 = vm.Run(*program, {copy.data(), copy.size()});
      if (!r0.ok()) break;
    }
    out.tiering = vm.stats();
  } else {
    for (int i = 0; i < std::max(1, request.repeat); ++i) {
      r0 = jit::RunProgram(*program, *memory, *engine, helpers);
      if (!r0.ok()) break;
    }
  }
  if (!r0.ok()) return Status::Error(request.file + ": " + r0.error());
  out.r0 = *r0;
  return out;
}

Result<std::vector<JitTestResult>> JitTest(const std::vector<std::string>& files,
                                           const std::string& engine_name) {
  auto engine = Engine(engine_name);
  if (!engine.ok()) return engine.status();
  std::vector<JitTestResult> results;
  for (const std::string& file : files) {
    auto text = ReadFile(file);
    if (!text.ok()) return text.status();
    auto test = jit::ParseDataTest(*text);
    jit::TestOutcome outcome{false, test.ok() ? "" : test.error()};
    if (test.ok()) outcome = jit::RunDataTest(*test, *engine);
    JitTestResult r{file, outcome.passed, outcome.detail, ""};
    if (outcome.passed && !outcome.message_matches) r.expected_error = *test->error;
    results.push_back(std::move(r));
  }
  return results;
}

Result<std::string> JitDisassemble(const std::string& file) {
  auto program = LoadProgram(file);
  if (!program.ok()) return program.status();
  return jit::Disassemble(*program);
}

Status JitAssemble(const std::string& file, const std::string& output) {
  auto text = ReadFile(file);
  if (!text.ok()) return text.status();
  auto program = jit::Assemble(*text);
  if (!program.ok()) return Status::Error(file + ": " + program.error());
  if (Status s = jit::Verify(*program, jit::StandardHelpers()); !s.ok()) {
    return Status::Error(file + ": " + s.message());
  }
  const std::string bytes(reinterpret_cast<const char*>(program->data()),
                          program->size() * sizeof(jit::Insn));
  return WriteFileAtomically(output, bytes);
}

}  // namespace perfkit::app
