// Sampling profiles as `perfkit profile` takes them: of a command from its
// exec to its exit, of a running process, or of perfkit's own benchmarks
// (`bench` in a child perfkit, the profile stored beside the run it
// measured); and finding a stored profile again by run or folded file.
#pragma once

#include <string>
#include <vector>

#include "app/bench_request.h"
#include "baselines/location.h"
#include "subsystems/base/status.h"
#include "subsystems/profiler/profile.h"
#include "subsystems/profiler/sampler.h"
#include "subsystems/profiler/symbolizer.h"

namespace perfkit::app {

// --by: what the stacks' roots say (the process by name, with its pid, or
// the thread under it), or frames named by their library (dso); and
// whether inlined functions get frames.
using profiler::StackRoot;
Result<profiler::SymbolizeOptions> ParseView(const std::string& by, bool inlined,
                                             bool lines = false);

struct SuiteProfile {
  profiler::Profile profile;
  int exit_status = 0;  // the child bench's
  int64_t run_id = 0;   // the run the profile was stored with (0: not stored)
  std::string run_uuid;
};

struct CommandProfile {
  profiler::Profile profile;
  int exit_status = 0;  // the command's, as a shell reports it
};

// Symbolized, ready to print.
Result<CommandProfile> ProfileCommand(const std::vector<std::string>& argv,
                                      const profiler::SamplerOptions& sampler,
                                      const profiler::SymbolizeOptions& symbolize = {});
Result<profiler::Profile> ProfileProcess(int pid, double seconds,
                                         const profiler::SamplerOptions& sampler,
                                         const profiler::SymbolizeOptions& symbolize = {});

struct SuiteProfileRequest {
  BenchRequest bench;
  profiler::SamplerOptions sampler;
  // Unless given, DWARF mode copies 64 KiB of stack (perfkit's own frames
  // above a benchmark take about 32 KiB) into 4 MiB rings.
  bool stack_bytes_given = false;
  bool buffer_pages_given = false;
};

// `bench` under the profiler in a child perfkit; the profile is stored with
// its run when the bench succeeded.
Result<SuiteProfile> ProfileSuite(const SuiteProfileRequest& request);

// --call-graph: fp, dwarf or dwarf,STACK_BYTES.
Status ParseCallGraph(const std::string& text, profiler::SamplerOptions* sampler);

// How a profile is written with -o: folded stacks, a flame graph or
// speedscope JSON (by --format, else by the file's extension).
struct ProfileOutput {
  std::string path;
  std::string format;  // folded, svg, speedscope or empty
  std::string title;   // empty: "perfkit profile: TARGET"
  double min_width = 0.1;
  bool inverted = false;
};
Status WriteProfile(const ProfileOutput& out, const profiler::Profile& profile,
                    const std::string& target);
// The hotspot table: the TOP functions by self share, or by total share
// with `by_total` (perf's --children).
std::string HotspotText(const profiler::Profile& profile, size_t top, bool by_total = false,
                        const profiler::SymbolizeOptions& view = {});

struct ProfileDiffRequest {
  std::string before;  // folded-stack files or runs with a stored profile
  std::string after;
  store::StoreLocation db;
  ProfileOutput svg;  // path empty: the table only
  size_t top = 25;
};
// Writes the differential flame graph when asked; returns the table.
Result<std::string> DiffProfiles(const ProfileDiffRequest& request);

// A folded-stack file if one exists by that name, else the newest profile
// stored with run `ref` in database `db`.
Result<std::vector<ProfileStack>> LoadProfileStacks(const std::string& ref,
                                                    const store::StoreLocation& db);

}  // namespace perfkit::app
