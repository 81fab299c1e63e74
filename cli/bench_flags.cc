#include "cli/bench_flags.h"

#include <fmt/format.h>

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
                      fmt::format("Repetitions per benchmark (default {}; {} with --quick)",
                                  app::kUsualDefaults.repetitions, app::kQuickDefaults.repetitions))
          ->check(CLI::Range(1, 1000)),
      cmd->add_option("--min-time", flags->min_time_s,
                      fmt::format("Minimum seconds per repetition (default {}; {} with --quick)",
                                  app::kUsualDefaults.min_time_s, app::kQuickDefaults.min_time_s))
          ->check(FiniteRange(0.0001, 60.0)),
      cmd->add_flag("--quick", flags->quick,
                    fmt::format("Smoke run: {} repetitions of {} s",
                                app::kQuickDefaults.repetitions, app::kQuickDefaults.min_time_s)),
      AddDbFlag(cmd, &flags->db),
  };
  return out;
}

}  // namespace perfkit::cli
