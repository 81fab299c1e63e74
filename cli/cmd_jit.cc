#include "cli/cmd_jit.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "app/files.h"
#include "cli/command.h"
#include "cli/common.h"
#include "subsystems/jit/assembler.h"
#include "subsystems/jit/conformance.h"
#include "subsystems/jit/tiering.h"
#include "subsystems/jit/verifier.h"

namespace perfkit::cli {
namespace {

bool IsText(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".s" || ext == ".asm" || ext == ".S";
}

Result<jit::Program> LoadProgram(const std::string& path) {
  auto bytes = app::ReadFile(path);
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

}  // namespace

int RunJitRun(const JitRunOptions& options) {
  auto engine = jit::ParseEngine(options.engine);
  if (!engine.ok()) return Fail(kExitUsage, engine.error());
  auto program = LoadProgram(options.file);
  if (!program.ok()) return Fail(program.status());
  std::vector<uint8_t> memory;
  if (!options.mem_file.empty()) {
    auto m = app::ReadFile(options.mem_file);
    if (!m.ok()) return Fail(m.status());
    memory.assign(m->begin(), m->end());
  } else {
    auto m = jit::ParseHexBytes(options.mem_hex);
    if (!m.ok()) return Fail(kExitUsage, "--mem: " + m.error());
    memory = std::move(m).value();
  }
  const jit::HelperTable& helpers = jit::StandardHelpers();
  Result<uint64_t> r0 = Status::Error("not run");
  if (*engine == jit::Engine::kTiered) {
    jit::TieredVm vm(helpers);
    for (int i = 0; i < std::max(1, options.repeat); ++i) {
      std::vector<uint8_t> copy = memory;  // every call sees the same input
      r0 = vm.Run(*program, {copy.data(), copy.size()});
      if (!r0.ok()) break;
    }
    if (options.stats) {
      const jit::TieringStats s = vm.stats();
      fmt::print(stderr,
                 "calls {}, interpreted {}, compiled {}, compilations {} ({:.1f} us), cache hits "
                 "{}, misses {}\n",
                 s.calls, s.interpreted_calls, s.compiled_calls, s.compilations,
                 s.compile_seconds * 1e6, s.cache_hits, s.cache_misses);
      if (s.compile_failures > 0) {
        fmt::print(stderr, "{} compilations failed, so those programs stay interpreted: {}\n",
                   s.compile_failures, s.last_compile_error);
      }
    }
  } else {
    for (int i = 0; i < std::max(1, options.repeat); ++i) {
      r0 = jit::RunProgram(*program, memory, *engine, helpers);
      if (!r0.ok()) break;
    }
  }
  if (!r0.ok()) return Fail(kExitFailure, options.file + ": " + r0.error());
  fmt::print("{:#x}\n", *r0);
  return kExitSuccess;
}

int RunJitTest(const JitTestOptions& options) {
  auto engine = jit::ParseEngine(options.engine);
  if (!engine.ok()) return Fail(kExitUsage, engine.error());
  int passed = 0, failed = 0;
  for (const std::string& file : options.files) {
    auto text = app::ReadFile(file);
    if (!text.ok()) return Fail(text.status());  // a test that cannot be read is not a FAIL
    auto test = jit::ParseDataTest(*text);
    jit::TestOutcome outcome{false, test.ok() ? "" : test.error()};
    if (test.ok()) outcome = jit::RunDataTest(*test, *engine);
    if (outcome.passed) {
      ++passed;
      if (!outcome.message_matches) {
        fmt::print("PASS {} (error '{}' differs from the expected '{}')\n", file, outcome.detail,
                   *test->error);
      } else {
        fmt::print("PASS {}\n", file);
      }
    } else {
      ++failed;
      fmt::print("FAIL {}: {}\n", file, outcome.detail);
    }
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  return failed == 0 ? kExitSuccess : app::kExitTestsFailed;
}

int RunJitDisasm(const std::string& file) {
  auto program = LoadProgram(file);
  if (!program.ok()) return Fail(program.status());
  fmt::print("{}", jit::Disassemble(*program));
  return kExitSuccess;
}

int RunJitAsm(const std::string& file, const std::string& output) {
  auto text = app::ReadFile(file);
  if (!text.ok()) return Fail(text.status());
  auto program = jit::Assemble(*text);
  if (!program.ok()) return Fail(kExitFailure, file + ": " + program.error());
  if (Status s = jit::Verify(*program, jit::StandardHelpers()); !s.ok()) {
    return Fail(kExitFailure, file + ": " + s.message());
  }
  const std::string bytes(reinterpret_cast<const char*>(program->data()),
                          program->size() * sizeof(jit::Insn));
  if (Status s = app::WriteFileAtomically(output, bytes); !s.ok())
    return Fail(kExitFailure, s.message());
  return kExitSuccess;
}

Runner AddJit(CLI::App& app) {
  CLI::App* jit = app.add_subcommand("jit", "Run, test, assemble and disassemble eBPF programs");
  jit->require_subcommand(1);
  const auto engines = CLI::IsMember({"interp", "jit", "tiered"});

  auto run = std::make_shared<JitRunOptions>();
  CLI::App* r = jit->add_subcommand("run", "Run a program (.s text or raw bytecode) and print r0");
  r->add_option("file", run->file, "Program: .s/.asm text, otherwise little-endian bytecode")
      ->required();
  auto* mem = r->add_option("--mem", run->mem_hex, "Memory for r1 as hex bytes ('01 02 ff')");
  r->add_option("--mem-file", run->mem_file, "Memory for r1 from a file")->excludes(mem);
  r->add_option("--engine", run->engine, "interp (default), jit or tiered")->check(engines);
  r->add_option("--repeat", run->repeat, "Calls (tiered compiles after 100)")
      ->check(CLI::Range(1, 100000000));
  r->add_flag("--stats", run->stats, "Print the tiered VM's statistics on stderr");

  auto test = std::make_shared<JitTestOptions>();
  CLI::App* t = jit->add_subcommand("test", "Run conformance-format .data test files");
  t->add_option("files", test->files, "Test files (sections -- asm, -- mem, -- result, -- error)")
      ->required();
  t->add_option("--engine", test->engine, "interp (default), jit or tiered")->check(engines);

  auto disasm_file = std::make_shared<std::string>();
  CLI::App* d = jit->add_subcommand("disasm", "Print a program as assembly text");
  d->add_option("file", *disasm_file, "Program (.s text or bytecode)")->required();

  auto asm_in = std::make_shared<std::string>();
  auto asm_out = std::make_shared<std::string>();
  CLI::App* a = jit->add_subcommand("asm", "Assemble and verify text into bytecode");
  a->add_option("file", *asm_in, "Assembly text")->required();
  a->add_option("-o,--output", *asm_out, "Bytecode file")->required();

  return [=] {
    if (r->parsed()) return RunJitRun(*run);
    if (t->parsed()) return RunJitTest(*test);
    if (d->parsed()) return RunJitDisasm(*disasm_file);
    return RunJitAsm(*asm_in, *asm_out);
  };
}

}  // namespace perfkit::cli
