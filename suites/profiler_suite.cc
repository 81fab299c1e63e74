// What sampling costs the program being profiled: the CPU time of the
// 70/20/10 test workload run unprofiled (the peer) and under `perfkit
// profile` at 99 and 999 Hz with each call-graph mode, interleaved by the
// runner. Each iteration is one run of about 0.4 s, long enough that the
// fixed cost of setting up the events does not hide the per-sample cost.
// The time reported is the workload's own user + system time, not the
// profiler's.
#include <unistd.h>

#include <string>

#include "subsystems/base/self_path.h"
#include "subsystems/base/subprocess.h"
#include "subsystems/profiler/sampler.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

constexpr const char* kRounds = "3000";

// The workload is built beside perfkit (from subsystems/profiler/workload.cc).
std::string WorkloadPath() { return HelperProgram("profile_workload"); }

Result<double> RunUnprofiled(const std::string& workload) {
  SpawnOptions spawn;
  spawn.argv = {workload, kRounds};
  auto exit = RunProcess(SystemLauncher(), spawn);
  if (!exit.ok()) return exit.status();
  if (!exit->Success()) return Status::Error(workload + " " + exit->Describe());
  return exit->CpuSeconds();
}

void Overhead(benchmark::State& state, const std::string& workload,
              const profiler::SamplerOptions* sampler) {
  if (StopRequested()) {
    state.SkipWithError("stopped");
    return;
  }
  uint64_t samples = 0, lost = 0;
  for (auto _ : state) {
    Result<double> cpu = 0.0;
    if (sampler == nullptr) {
      cpu = RunUnprofiled(workload);
    } else {
      auto run = profiler::ProfileCommand({workload, kRounds}, *sampler);
      if (run.ok()) {
        cpu = run->cpu_seconds;
        samples += run->profile.samples.size();
        lost += run->profile.lost;
      } else {
        cpu = run.status();
      }
    }
    if (!cpu.ok()) {
      state.SkipWithError(cpu.error().c_str());
      return;
    }
    state.SetIterationTime(*cpu);
  }
  if (sampler != nullptr) {
    state.counters["samples_per_run"] = static_cast<double>(samples) / state.iterations();
    state.counters["lost"] = static_cast<double>(lost);
  }
}

}  // namespace

SuiteSpec MakeProfilerSuite() {
  SuiteSpec suite{
      "profiler", "what sampling costs the profiled program, per rate and call-graph mode", {}, {}};
  const std::string workload = WorkloadPath();
  if (workload.empty() || access(workload.c_str(), X_OK) != 0) {
    suite.skipped.push_back(
        "profiler/overhead: profile_workload is not built beside perfkit (configure with "
        "-DPERFKIT_BUILD_TESTS=ON)");
    return suite;
  }
  auto add = [&](const std::string& impl, Role role, const profiler::SamplerOptions* sampler) {
    BenchmarkSpec spec{
        "profiler/overhead/" + impl + "/" + kRounds, role,
        [workload, sampler](benchmark::State& s) { Overhead(s, workload, sampler); }};
    spec.manual_time = true;
    spec.iterations = 2;
    suite.benchmarks.push_back(std::move(spec));
  };
  add("unprofiled", Role::kPeer, nullptr);
  static const auto modes = [] {
    std::vector<std::pair<std::string, profiler::SamplerOptions>> m;
    for (uint64_t hz : {99, 999}) {
      for (auto [name, graph, bytes] :
           {std::tuple{"fp", profiler::CallGraph::kFramePointers, 8192u},
            std::tuple{"dwarf", profiler::CallGraph::kDwarf, 8192u},
            std::tuple{"dwarf64k", profiler::CallGraph::kDwarf, 65528u}}) {
        profiler::SamplerOptions o;
        o.frequency = hz;
        o.call_graph = graph;
        o.stack_bytes = bytes;
        o.note_fallback = false;
        m.emplace_back(std::string(name) + "-" + std::to_string(hz) + "hz", o);
      }
    }
    return m;
  }();
  for (const auto& [name, options] : modes) add(name, Role::kOurs, &options);
  return suite;
}

}  // namespace perfkit::suites
