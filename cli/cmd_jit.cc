#include "cli/cmd_jit.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/jit.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

int RunJitRun(const JitRunOptions& o) {
  auto out = app::JitRun(o.run);
  if (!out.ok()) return Fail(out.status());
  if (o.stats && out->tiering) {
    const jit::TieringStats& s = *out->tiering;
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
  fmt::print("{:#x}\n", out->r0);
  return kExitSuccess;
}

int RunJitTest(const JitTestOptions& options) {
  auto results = app::JitTest(options.files, options.engine);
  if (!results.ok()) return Fail(results.status());
  int passed = 0, failed = 0;
  for (const app::JitTestResult& r : *results) {
    if (!r.passed) {
      ++failed;
      fmt::print("FAIL {}: {}\n", r.file, r.detail);
      continue;
    }
    ++passed;
    if (!r.expected_error.empty()) {
      fmt::print("PASS {} (error '{}' differs from the expected '{}')\n", r.file, r.detail,
                 r.expected_error);
    } else {
      fmt::print("PASS {}\n", r.file);
    }
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  return failed == 0 ? kExitSuccess : app::kExitTestsFailed;
}

int RunJitDisasm(const std::string& file) {
  auto text = app::JitDisassemble(file);
  if (!text.ok()) return Fail(text.status());
  fmt::print("{}", *text);
  return kExitSuccess;
}

int RunJitAsm(const std::string& file, const std::string& output) {
  if (Status s = app::JitAssemble(file, output); !s.ok()) return Fail(s);
  return kExitSuccess;
}

Runner AddJit(CLI::App& app) {
  CLI::App* jit = app.add_subcommand("jit", "Run, test, assemble and disassemble eBPF programs");
  jit->require_subcommand(1);
  const auto engines = CLI::IsMember({"interp", "jit", "tiered"});

  auto run = std::make_shared<JitRunOptions>();
  CLI::App* r = jit->add_subcommand("run", "Run a program (.s text or raw bytecode) and print r0");
  r->add_option("file", run->run.file, "Program: .s/.asm text, otherwise little-endian bytecode")
      ->required();
  auto* mem = r->add_option("--mem", run->run.mem_hex, "Memory for r1 as hex bytes ('01 02 ff')");
  r->add_option("--mem-file", run->run.mem_file, "Memory for r1 from a file")->excludes(mem);
  r->add_option("--engine", run->run.engine, "interp (default), jit or tiered")->check(engines);
  r->add_option("--repeat", run->run.repeat, "Calls (tiered compiles after 100)")
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
