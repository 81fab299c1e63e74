// Suite jit: five eBPF programs (jit_programs.cc) on our interpreter, our JIT
// and the tiered VM (a fresh VM every 1000 calls, so its first 100
// interpreted calls and the compile are in the time), beside the same work
// compiled by GCC ("native"); plus the JIT's compile time per program.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "subsystems/jit/assembler.h"
#include "subsystems/jit/conformance.h"
#include "subsystems/jit/jit.h"
#include "subsystems/jit/tiering.h"
#include "subsystems/jit/verifier.h"
#include "suites/claims.h"
#include "suites/jit_dpdk.h"
#include "suites/jit_kernel.h"
#include "suites/jit_programs.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

constexpr uint64_t kCallsPerTieredVm = 1000;

struct Prepared {
  const JitWorkload* workload;
  jit::Program program;
  std::shared_ptr<const jit::CompiledProgram> code;  // null without a JIT
  uint64_t expected;
};

void RunInterpreter(benchmark::State& state, const Prepared& p) {
  if (SkipIfStopped(state)) return;
  std::vector<uint8_t> mem = p.workload->memory();
  for (auto _ : state) {
    auto r = jit::Interpret(p.program, jit::StandardHelpers(), {mem.data(), mem.size()});
    benchmark::DoNotOptimize(r);
  }
}

void RunJit(benchmark::State& state, const Prepared& p) {
  if (SkipIfStopped(state)) return;
  std::vector<uint8_t> mem = p.workload->memory();
  for (auto _ : state) {
    auto r = p.code->Run({mem.data(), mem.size()});
    benchmark::DoNotOptimize(r);
  }
}

// The hot-loop entry: the context built once, one direct call per run.
void RunInvocation(benchmark::State& state, const Prepared& p) {
  if (SkipIfStopped(state)) return;
  std::vector<uint8_t> mem = p.workload->memory();
  jit::Invocation call(*p.code, {mem.data(), mem.size()});
  for (auto _ : state) benchmark::DoNotOptimize(call.Call());
  if (call.faulted()) state.SkipWithError(call.FaultStatus().message().c_str());
}

void RunTiered(benchmark::State& state, const Prepared& p) {
  if (SkipIfStopped(state)) return;
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
  if (SkipIfStopped(state)) return;
  std::vector<uint8_t> mem = p.workload->memory();
  auto fn = p.workload->native;
  benchmark::DoNotOptimize(fn);  // called through a pointer, like the JIT's code
  for (auto _ : state) {
    benchmark::DoNotOptimize(fn(mem.data(), mem.size()));
    benchmark::ClobberMemory();
  }
}

// The kernel times its own loop of `repeat` runs; each iteration reports that
// mean, so the figure is per run like ours, without the syscall.
void RunKernel(benchmark::State& state, const KernelBpfProgram& k, uint32_t repeat) {
  if (SkipIfStopped(state)) return;
  for (auto _ : state) {
    double mean_ns = 0;
    auto r = k.Run(repeat, &mean_ns);
    if (!r.ok()) {
      state.SkipWithError(r.error().c_str());
      return;
    }
    state.SetIterationTime(mean_ns * 1e-9);
  }
}

// A kernel peer for `p`, or why there is none. Each iteration is ~1 ms of
// kernel runs.
Status AddKernelPeer(SuiteSpec& suite, const Prepared& p, const std::string& size) {
  auto k = LoadKernelProgram(p.workload->name);
  if (!k.ok()) return k.status();
  double mean_ns = 0;
  auto r = (*k)->Run(100, &mean_ns);
  if (!r.ok()) return r.status();
  if (*r != static_cast<uint32_t>(p.expected)) {
    return Status::Error("the kernel's result differs from native");
  }
  const auto repeat = static_cast<uint32_t>(std::clamp(1e6 / std::max(mean_ns, 1.0), 1.0, 1e6));
  std::shared_ptr<const KernelBpfProgram> program = std::move(k).value();
  BenchmarkSpec spec{"jit/" + std::string(p.workload->name) + "/kernel/" + size, Role::kPeer,
                     [program, repeat](benchmark::State& s) { RunKernel(s, *program, repeat); }};
  spec.manual_time = true;
  spec.iterations = 20;
  suite.benchmarks.push_back(std::move(spec));
  return OkStatus();
}

template <bool kJit>
void RunDpdk(benchmark::State& state, const Prepared& p, const DpdkBpfProgram& d) {
  if (SkipIfStopped(state)) return;
  std::vector<uint8_t> mem = p.workload->memory();
  for (auto _ : state) {
    benchmark::DoNotOptimize(kJit ? d.RunJit(mem.data()) : d.Interpret(mem.data()));
  }
}

// DPDK's interpreter and JIT for `p`, or why not.
Status AddDpdkPeers(SuiteSpec& suite, const std::shared_ptr<Prepared>& p, const std::string& size) {
  auto d = LoadDpdkProgram(p->program, p->workload->memory().size());
  if (!d.ok()) return d.status();
  std::shared_ptr<const DpdkBpfProgram> dpdk = std::move(d).value();
  std::vector<uint8_t> mem = p->workload->memory();
  if (dpdk->Interpret(mem.data()) != p->expected) {
    return Status::Error("rte_bpf's result differs from native");
  }
  const std::string prefix = "jit/" + std::string(p->workload->name) + "/";
  suite.benchmarks.push_back({prefix + "dpdk-interp/" + size, Role::kPeer,
                              [p, dpdk](benchmark::State& s) { RunDpdk<false>(s, *p, *dpdk); }});
  if (dpdk->has_jit()) {
    suite.benchmarks.push_back({prefix + "dpdk-jit/" + size, Role::kPeer,
                                [p, dpdk](benchmark::State& s) { RunDpdk<true>(s, *p, *dpdk); }});
  }
  return OkStatus();
}

void RunCompile(benchmark::State& state, const Prepared& p) {
  if (SkipIfStopped(state)) return;
  for (auto _ : state) {
    auto code = jit::Compile(p.program, jit::StandardHelpers());
    benchmark::DoNotOptimize(code);
  }
}

// What one call costs, on a program that only returns: Run() and an
// Invocation beside DPDK's JIT (a bare function pointer, no checks) and a C
// function called through a pointer, the floor.
uint64_t ReturnOne(uint8_t*, uint64_t) { return 1; }

const JitWorkload kCallWorkload = {"call", "returns 1: the cost of a call",
                                   "  mov %r0, 1\n  exit\n",
                                   [] { return std::vector<uint8_t>(64); }, &ReturnOne};

void AddCallOverhead(SuiteSpec& suite, bool have_jit, bool have_dpdk) {
  auto program = jit::Assemble(kCallWorkload.assembly);
  PERFKIT_CHECK(program.ok());
  auto p =
      std::make_shared<Prepared>(Prepared{&kCallWorkload, std::move(program).value(), nullptr, 1});
  if (have_jit) {
    auto code = jit::Compile(p->program, jit::StandardHelpers());
    if (code.ok()) p->code = std::move(code).value();
  }
  if (p->code) {
    suite.benchmarks.push_back(
        {"jit/call/run/2", Role::kOurs, [p](benchmark::State& s) { RunJit(s, *p); }});
    suite.benchmarks.push_back(
        {"jit/call/invocation/2", Role::kOurs, [p](benchmark::State& s) { RunInvocation(s, *p); }});
  }
  suite.benchmarks.push_back(
      {"jit/call/native/2", Role::kPeer, [p](benchmark::State& s) { RunNative(s, *p); }});
  if (have_dpdk) {
    if (Status st = AddDpdkPeers(suite, p, "2"); !st.ok()) {
      suite.skipped.push_back("call/dpdk: " + st.message());
    }
  }
}

}  // namespace

SuiteSpec MakeJitSuite() {
  SuiteSpec suite{"jit", "eBPF interpreter, JIT and tiered VM against native C++", {}, {}};
  suite.baseline = "interp";  // the interpreter, what the JIT is measured against
  const bool have_jit = *jit::JitUnavailableReason() == '\0';
  if (!have_jit)
    suite.skipped.push_back(std::string("jit, tiered, compile: ") + jit::JitUnavailableReason());
  const std::string& no_kernel = KernelBpfUnavailableReason();
  if (!no_kernel.empty()) suite.skipped.push_back("kernel: " + no_kernel);
  const std::string& no_dpdk = DpdkUnavailableReason();
  if (!no_dpdk.empty()) suite.skipped.push_back("dpdk: " + no_dpdk);
  AddCallOverhead(suite, have_jit, no_dpdk.empty());
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
      add("jit-invocation", Role::kOurs, &RunInvocation);
      add("tiered", Role::kOurs, &RunTiered);
    }
    add("native", Role::kPeer, &RunNative);
    if (no_dpdk.empty()) {
      if (Status s = AddDpdkPeers(suite, p, size); !s.ok()) {
        suite.skipped.push_back(std::string(w.name) + "/dpdk: " + s.message());
      }
    }
    if (no_kernel.empty()) {
      if (Status s = AddKernelPeer(suite, *p, size); !s.ok()) {
        suite.skipped.push_back(std::string(w.name) + "/kernel: " + s.message());
      }
    }
    if (p->code) {
      suite.benchmarks.push_back({"jit/compile/" + std::string(w.name) + "/" + size, Role::kOurs,
                                  [p](benchmark::State& s) { RunCompile(s, *p); }});
    }
  }
  // Measured only: uBPF's figure is against its own interpreter, not ours.
  for (const char* program : {"fnv1a/13", "filter/17"}) {
    const std::string p = std::string("jit/") + program;
    const std::string name = p.substr(4, p.rfind('/') - 4);
    suite.claims.push_back(Ratio("JIT against the interpreter, " + name,
                                 "jit/" + name + "/jit/" + p.substr(p.rfind('/') + 1),
                                 "jit/" + name + "/interp/" + p.substr(p.rfind('/') + 1), "the JIT",
                                 "the interpreter",
                                 "a JIT 28-45x faster than an interpreter (uBPF's)",
                                 /*a_claimed_faster=*/false));
  }
  return suite;
}

}  // namespace perfkit::suites
