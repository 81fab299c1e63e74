// Sampling profiles as `perfkit profile` takes them: of a command from its
// exec to its exit, of a running process, or of perfkit's own benchmarks
// (`bench` in a child perfkit, the profile stored beside the run it
// measured); and finding a stored profile again by run or folded file.
#pragma once

#include <string>
#include <vector>

#include "app/bench_request.h"
#include "subsystems/base/status.h"
#include "suites/profiler/profile.h"
#include "suites/profiler/sampler.h"

namespace perfkit::app {

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
                                      const profiler::SamplerOptions& sampler);
Result<profiler::Profile> ProfileProcess(int pid, double seconds,
                                         const profiler::SamplerOptions& sampler);

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

// A folded-stack file if one exists by that name, else the newest profile
// stored with run `ref` in database `db`.
Result<std::vector<ProfileStack>> LoadProfileStacks(const std::string& ref, const std::string& db);

}  // namespace perfkit::app
