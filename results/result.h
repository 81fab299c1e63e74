// The plain result structs that suites produce and that the store (baselines/)
// and report/ consume. Nothing here knows Google Benchmark, SQLite or the CLI.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "subsystems/base/process_identity.h"
#include "subsystems/profiler/stack.h"

namespace perfkit {

// One repetition of one benchmark: the unit every statistic works on.
struct Sample {
  int64_t repetition_index = 0;
  int64_t iterations = 0;
  double real_time_ns = 0;                 // per iteration
  double cpu_time_ns = 0;                  // per iteration
  std::map<std::string, double> counters;  // already finalised (rates are /s)
};

// kBaseline: an implementation of ours that the design documents compare
// against (the buddy allocator, scalar memops, the interpreter, the table
// CRC, pread, pipes, plain virtqueue flags), shown beside the best peer.
enum class Role { kUnknown, kOurs, kPeer, kBaseline };

struct BenchmarkResult {
  std::string name;   // <suite>/<op>/<impl>/<size> for perfkit's own suites
  std::string suite;  // empty for external executables
  Role role = Role::kUnknown;
  int64_t threads = 1;
  std::string time_unit = "ns";  // the unit the source displayed times in
  std::string label;
  std::string error;  // non-empty when the benchmark failed or was skipped
  std::vector<Sample> samples;
};

// The machine and build a run came from. `fingerprint` is stable across runs
// on the same host: derived from CPU model, topology, caches, flags and
// kernel, never from a measured frequency.
struct HostContext {
  std::string fingerprint;
  std::string hostname;
  std::string cpu_vendor;
  std::string cpu_model;
  int cpu_family = 0;
  int cpu_model_number = 0;
  int cpu_stepping = 0;
  std::vector<std::string> cpu_features;  // the ones that matter to perfkit
  int logical_cpus = 0;
  int physical_cores = 0;
  bool smt = false;
  std::map<std::string, int64_t> cache_bytes;  // "L1d", "L1i", "L2", "L3"
  int cache_line_bytes = 0;
  std::string cache_source;       // "cpuid", "sysfs", or "unavailable"
  std::string cache_note;         // where CPUID and /sys disagree
  std::vector<std::string> tlbs;  // "L1 dTLB 4K: 72 entries"
  double pause_cycles = 0;        // one PAUSE, in TSC cycles; 0 off x86-64
  double pause_ns = 0;
  int numa_nodes = 0;
  std::vector<std::string> huge_page_sizes;
  std::map<std::string, int64_t> huge_pages_reserved;  // by size, as in huge_page_sizes
  std::map<std::string, int64_t> huge_pages_free;
  std::string thp_mode;
  std::string kernel;
  std::string hypervisor;  // empty on bare metal
  std::string governor;    // "unavailable" when the VM hides cpufreq
  std::string boost;
  std::string aslr;
  int perf_event_paranoid = 0;
  bool hardware_pmu = false;
  std::string pmu_detail;
  double load_average_1m = 0;
  std::string compiler;
  std::string build_type;
  std::string build_flags;
  std::string benchmark_version;
  std::string benchmark_build_type;
};

// A profile as the store keeps it, beside the run it was sampled from.
struct StoredProfile {
  int64_t run_id = 0;
  std::string event;       // the event actually sampled
  std::string call_graph;  // fp or dwarf
  uint64_t samples = 0;
  uint64_t lost = 0;
  uint64_t complete = 0;  // samples whose stack reaches main or a thread start
  std::vector<ProfileStack> stacks;
};

// kAbandoned is never stored: a run still `running` whose process is gone
// (killed, or the machine rebooted) reads back as abandoned.
enum class RunStatus { kRunning, kComplete, kInterrupted, kAbandoned };

// A claim of the performance guides or of a target, checked against a run:
// met or not where it names a direction or a figure to reach, measured
// where it only asks for the figure, not measurable here with the reason.
enum class ClaimStatus { kMet, kNotMet, kMeasured, kNotMeasurable };

struct ClaimResult {
  std::string id;  // "<suite>/<what>", stable across runs
  std::string suite;
  std::string text;  // the line bench prints
  double value = 0;  // the measured figure (when has_value)
  bool has_value = false;
  std::string unit;    // "x", "ns", "GB/s", "% of bound", ...
  std::string target;  // what the claim says, or the goal
  ClaimStatus status = ClaimStatus::kMeasured;
  std::string reason;                   // not measurable: why
  std::vector<std::string> benchmarks;  // what it was computed from

  // What it is about: its line up to the first ": " (the id without one).
  std::string topic() const;
};

struct RunRecord {
  int64_t id = 0;  // assigned by the store
  std::string uuid;
  std::string started_at;  // ISO 8601 UTC
  std::string ended_at;
  std::string command_line;
  std::string perfkit_version;
  std::string git_commit;
  std::string source = "perfkit";  // "perfkit", "exec" or "import"
  RunStatus status = RunStatus::kRunning;
  ProcessIdentity owner;  // the process that measured it, for runs perfkit measures
  HostContext host;
  std::map<std::string, std::string> tags;
  std::vector<BenchmarkResult> benchmarks;
  std::string raw_json;  // the imported document, when the run came from one
  std::vector<ClaimResult> claims;
};

const char* RoleName(Role role);
Role ParseRole(const std::string& name);
const char* RunStatusName(RunStatus status);
RunStatus ParseRunStatus(const std::string& name);
const char* ClaimStatusName(ClaimStatus status);  // "met", "not met", "measured", "not measurable"
ClaimStatus ParseClaimStatus(const std::string& name);

}  // namespace perfkit
