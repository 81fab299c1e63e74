// Suite jit: five eBPF programs (jit_programs.cc) on our interpreter, our JIT
// and the tiered VM (a fresh VM every 1000 calls, so its first 100
// interpreted calls and the compile are in the time), beside the same work
// compiled by GCC ("native"); plus the JIT's compile time per program.
#include <memory>
#include <string>
#include <vector>

#include "subsystems/jit/assembler.h"
#include "subsystems/jit/conformance.h"
#include "subsystems/jit/jit.h"
#include "subsystems/jit/tiering.h"
#include "subsystems/jit/verifier.h"
#include "suites/jit_programs.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

constexpr uint64_t kCallsPerTieredVm = 1000;

bool Stopped(benchmark::State& state) {
  if (!StopRequested()) return false;
  state.SkipWithError("interrupted");
  return true;
}

struct Prepared {
  const JitWorkload* workload;
  jit::Program program;
  std::shared_ptr<const jit::CompiledProgram> code;  // null without a JIT
  uint64_t expected;
};

void RunInterpreter(benchmark::State& state, const Prepared& p) {
  if (Stopped(state)) return;
  std::vector<uint8_t> mem = p.workload->memory();
  for (auto _ : state) {
    auto r = jit::Interpret(p.program, jit::StandardHelpers(), {mem.data(), mem.size()});
    benchmark::DoNotOptimize(r);
  }
}

void RunJit(benchmark::State& state, const Prepared& p) {
  if (Stopped(state)) return;
  std::vector<uint8_t> mem = p.workload->memory();
  for (auto _ : state) {
    auto r = p.code->Run({mem.data(), mem.size()});
    benchmark::DoNotOptimize(r);
  }
}

void RunTiered(benchmark::State& state, const Prepared& p) {
  if (Stopped(state)) return;
  std::vector<uint8_t> mem = p.workload->memory();
  std::unique_ptr<jit::TieredVm> vm;
  jit::TieredVm::ProgramId id = nullptr;
  uint64_t calls = kCallsPerTieredVm;
  for (auto _ : state) {
    if (calls++ == kCallsPerTieredVm) {  // start cold: look up, verify, interpret, compile
      vm = std::make_unique<jit::TieredVm>(jit::StandardHelpers());
      id = *vm->Load(p.program);
      calls = 1;
    }
    auto r = vm->Run(id, {mem.data(), mem.size()});
    benchmark::DoNotOptimize(r);
  }
}

void RunNative(benchmark::State& state, const Prepared& p) {
  if (Stopped(state)) return;
  std::vector<uint8_t> mem = p.workload->memory();
  auto fn = p.workload->native;
  benchmark::DoNotOptimize(fn);  // called through a pointer, like the JIT's code
  for (auto _ : state) {
    benchmark::DoNotOptimize(fn(mem.data(), mem.size()));
    benchmark::ClobberMemory();
  }
}

void RunCompile(benchmark::State& state, const Prepared& p) {
  if (Stopped(state)) return;
  for (auto _ : state) {
    auto code = jit::Compile(p.program, jit::StandardHelpers());
    benchmark::DoNotOptimize(code);
  }
}

}  // namespace

SuiteSpec MakeJitSuite() {
  SuiteSpec suite{"jit", "eBPF interpreter, JIT and tiered VM against native C++", {}, {}};
  const bool have_jit = *jit::JitUnavailableReason() == '\0';
  if (!have_jit)
    suite.skipped.push_back(std::string("jit, tiered, compile: ") + jit::JitUnavailableReason());
  suite.skipped.push_back(
      "kernel: the kernel's JIT through BPF_PROG_TEST_RUN is not wired up yet (see the README)");
  suite.skipped.push_back("dpdk: rte_bpf is not wired up yet (see the README)");
  for (const JitWorkload& w : JitWorkloads()) {
    auto program = jit::Assemble(w.assembly);
    PERFKIT_CHECK(program.ok());
    auto p = std::make_shared<Prepared>(Prepared{&w, std::move(program).value(), nullptr, 0});
    std::vector<uint8_t> mem = w.memory();
    p->expected = w.native(mem.data(), mem.size());
    // Never race a program that does not compute what its native twin does.
    auto checked = jit::RunProgram(p->program, w.memory(), jit::Engine::kInterpreter);
    if (!checked.ok() || *checked != p->expected) {
      suite.skipped.push_back(std::string(w.name) +
                              ": the interpreter's result differs from native");
      continue;
    }
    if (have_jit) {
      auto code = jit::Compile(p->program, jit::StandardHelpers());
      if (code.ok()) p->code = std::move(code).value();
    }
    const std::string size = std::to_string(p->program.size());
    auto add = [&](const std::string& impl, Role role,
                   void (*fn)(benchmark::State&, const Prepared&)) {
      suite.benchmarks.push_back({"jit/" + std::string(w.name) + "/" + impl + "/" + size, role,
                                  [p, fn](benchmark::State& s) { fn(s, *p); }});
    };
    add("interp", Role::kOurs, &RunInterpreter);
    if (p->code) {
      add("jit", Role::kOurs, &RunJit);
      add("tiered", Role::kOurs, &RunTiered);
    }
    add("native", Role::kPeer, &RunNative);
    if (p->code) {
      suite.benchmarks.push_back({"jit/compile/" + std::string(w.name) + "/" + size, Role::kOurs,
                                  [p](benchmark::State& s) { RunCompile(s, *p); }});
    }
  }
  return suite;
}

}  // namespace perfkit::suites
