#include "cli/bench_flags.h"

#include "cli/common.h"

namespace perfkit::cli {

MeasureFlagOptions AddMeasureFlags(CLI::App* cmd, app::BenchFlags* flags) {
  MeasureFlagOptions out;
  out.suite =
      cmd->add_option("--suite", flags->suites, "Suite to run (repeatable); see 'perfkit list'")
          ->allow_extra_args(false);
  out.others = {
      cmd->add_option("--filter", flags->filter, "Only benchmarks whose name matches this regex"),
      cmd->add_option("--repetitions", flags->repetitions,
                      "Repetitions per benchmark (default 10; 3 with --quick)")
          ->check(CLI::Range(1, 1000)),
      cmd->add_option("--min-time", flags->min_time_s,
                      "Minimum seconds per repetition (default 0.05; 0.01 with --quick)")
          ->check(FiniteRange(0.0001, 60.0)),
      cmd->add_flag("--quick", flags->quick, "Smoke run: 3 repetitions of 0.01 s"),
      AddDbFlag(cmd, &flags->db),
  };
  return out;
}

}  // namespace perfkit::cli
