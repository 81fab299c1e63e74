#include "cli/cmd_profile.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/exit_status.h"
#include "report/flamegraph.h"
#include "report/profile_format.h"
#include "suites/profiler/sampler.h"
#include "suites/profiler/symbolizer.h"

namespace perfkit::cli {

int RunProfile(const ProfileOptions& options) {
  if (options.command.empty() == (options.pid == 0)) {
    return Fail(kExitUsage, "profile: give either a command after -- or -p PID");
  }
  std::string format = options.format;
  auto ends_with = [&](const std::string& suffix) {
    return options.output.size() >= suffix.size() &&
           options.output.compare(options.output.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  if (format.empty())
    format = ends_with(".svg") ? "svg" : ends_with(".json") ? "speedscope" : "folded";
  if (options.call_graph != "fp") {
    return Fail(kExitUsage, "profile: --call-graph " + options.call_graph +
                                " is not available yet; only fp (frame pointers) is");
  }
  profiler::SamplerOptions sampler;
  sampler.event = options.event;
  sampler.frequency = options.frequency;
  sampler.period = options.period;
  sampler.buffer_pages = options.buffer_pages;
  const std::string target =
      options.pid ? "pid " + std::to_string(options.pid) : options.command[0];
  int exit_status = 0;
  profiler::RawProfile raw;
  if (options.pid) {
    auto run = profiler::ProfilePid(options.pid, options.duration, sampler);
    if (!run.ok()) return Fail(kExitFailure, "profile: " + run.error());
    raw = std::move(run).value();
  } else {
    auto run = profiler::ProfileCommand(options.command, sampler);
    if (!run.ok()) return Fail(kExitFailure, "profile: " + run.error());
    exit_status = run->exit_status;
    raw = std::move(run->profile);
  }
  const profiler::Profile profile = profiler::Symbolize(raw);
  if (!options.output.empty()) {
    std::string content;
    if (format == "svg") {
      report::FlameGraphOptions svg;
      svg.title = options.title.empty() ? "perfkit profile: " + target : options.title;
      svg.subtitle = fmt::format("{} samples of {}", profile.samples, profile.event);
      svg.min_width_px = options.min_width;
      svg.inverted = options.inverted;
      content = report::FlameGraphSvg(profile.stacks, svg);
    } else if (format == "speedscope") {
      content =
          report::SpeedscopeJson(profile.stacks, fmt::format("{} ({})", target, profile.event));
    } else {
      content = report::FoldedStacks(profile.stacks);
    }
    if (Status s = WriteFileAtomically(options.output, content); !s.ok()) {
      return Fail(kExitFailure, s.message());
    }
  }
  fmt::print("{}", report::HotspotTable(profile.stacks, options.top));
  const double complete = profile.samples ? 100.0 * profile.complete / profile.samples : 0;
  fmt::print(stderr,
             "perfkit: {} samples of {} ({} lost, {} throttled); stacks reaching main or a thread "
             "start: {:.1f}%\n",
             profile.samples, profile.event, profile.lost, profile.throttled, complete);
  if (profile.samples > 0 && complete < 90) {
    fmt::print(stderr,
               "perfkit: hint: frame-pointer stacks lose callers through code built without "
               "frame pointers (Debian's glibc and libstdc++)\n");
  }
  if (profile.lost > 0) {
    fmt::print(stderr, "perfkit: {} samples were lost: raise --buffer-pages or lower -F\n",
               profile.lost);
  }
  if (exit_status != 0) {
    fmt::print(stderr, "perfkit: {} exited with status {}\n", target, exit_status);
  }
  return kExitSuccess;
}

Runner AddProfile(CLI::App& app) {
  auto opts = std::make_shared<ProfileOptions>();
  CLI::App* cmd = app.add_subcommand("profile", "Sample a command: hotspots and folded stacks");
  cmd->add_option("-e,--event", opts->event,
                  "Event, as libpfm4 names it (default cycles; task-clock without a PMU)");
  auto* freq =
      cmd->add_option("-F,--frequency", opts->frequency, "Samples per second (default 999)")
          ->check(CLI::Range(1, 100000));
  cmd->add_option("-c,--period", opts->period, "Events per sample instead of a frequency")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->excludes(freq);
  cmd->add_option("--call-graph", opts->call_graph, "fp (frame pointers)");
  cmd->add_option("-o,--output", opts->output,
                  "Write the profile here: folded stacks, or an SVG flame graph for .svg");
  cmd->add_option("--format", opts->format,
                  "folded, svg or speedscope (default: from the -o extension: .svg, .json)")
      ->check(CLI::IsMember({"folded", "svg", "speedscope"}));
  cmd->add_option("--title", opts->title, "Flame graph title");
  cmd->add_option("--minwidth", opts->min_width,
                  "Leave out flame graph frames narrower than this (pixels)");
  cmd->add_flag("--inverted", opts->inverted, "Flame graph as an icicle (roots at the top)");
  cmd->add_option("--buffer-pages", opts->buffer_pages, "Ring buffer pages per CPU (power of two)");
  cmd->add_option("--top", opts->top, "Rows of the hotspot table");
  auto* pid = cmd->add_option("-p,--pid", opts->pid, "Profile this running process instead");
  cmd->add_option("--duration", opts->duration, "Seconds to sample a process given with -p")
      ->check(CLI::Range(0.001, 86400.0))
      ->needs(pid);
  cmd->add_option("command", opts->command, "The command, after --");
  return [opts] { return RunProfile(*opts); };
}

}  // namespace perfkit::cli
