#include "cli/cmd_profile.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "app/database.h"
#include "app/profiles.h"
#include "cli/bench_flags.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {
namespace {

void PrintSummary(const profiler::Profile& profile, const profiler::SamplerOptions& sampler) {
  const double complete = profile.samples ? 100.0 * profile.complete / profile.samples : 0;
  fmt::print(stderr,
             "perfkit: {} samples of {} ({} lost, {} throttled); stacks reaching main or a thread "
             "start: {:.1f}%\n",
             profile.samples, profile.event, profile.lost, profile.throttled, complete);
  if (profile.weighted_by_time) {
    const double wall = static_cast<double>(profile.on_cpu_us + profile.off_cpu_us);
    fmt::print(
        stderr,
        "perfkit: {:.3f} s of thread time: on-CPU {:.1f}%, off-CPU {:.1f}% ({} switch-outs); "
        "counts are microseconds, [off-cpu] frames stand under the stacks that waited\n",
        wall / 1e6, wall > 0 ? 100.0 * profile.on_cpu_us / wall : 0,
        wall > 0 ? 100.0 * profile.off_cpu_us / wall : 0, profile.switches);
  }
  // A handful of samples of a short program fall in its start (the loader,
  // before main) and say nothing about how deep its stacks are.
  if (profile.samples >= 20 && complete < 90) {
    if (sampler.call_graph == profiler::CallGraph::kFramePointers) {
      fmt::print(stderr,
                 "perfkit: hint: frame-pointer stacks lose callers through code built without "
                 "frame pointers (Debian's glibc and libstdc++): try --call-graph dwarf\n");
    } else {
      fmt::print(stderr,
                 "perfkit: hint: deep stacks need a larger copy: try --call-graph dwarf,{}\n",
                 std::min<uint32_t>(sampler.stack_bytes * 4, 65528));
    }
  }
  if (profile.samples == 0) {
    fmt::print(stderr,
               "perfkit: warning: no samples: the target ran too briefly for -F {}, or did not "
               "run while it was watched\n",
               sampler.frequency);
  }
  if (!profile.kernel_note.empty()) fmt::print(stderr, "perfkit: {}\n", profile.kernel_note);
  if (profile.lost > 0) {
    fmt::print(stderr, "perfkit: {} samples were lost: raise --buffer-pages or lower -F\n",
               profile.lost);
  }
}

// Samples the target; *exit_status is the command's (0 for -p).
Result<profiler::Profile> Sample(const ProfileOptions& o, const profiler::SamplerOptions& sampler,
                                 const profiler::SymbolizeOptions& view, int* exit_status) {
  if (!o.suite.suites.empty()) {
    auto bench = app::MakeBenchRequest(o.suite);
    if (!bench.ok()) return bench.status();
    const bool stack_given = o.call_graph != "dwarf";
    const std::string where = bench->db.shown();
    auto run = app::ProfileSuite({std::move(*bench), sampler, stack_given, o.buffer_pages != 0});
    if (!run.ok()) return run.status();
    *exit_status = run->exit_status;
    if (run->run_id != 0) {
      fmt::print(stderr, "perfkit: stored the profile with run {} ({}) in {}\n", run->run_id,
                 run->run_uuid.substr(0, 8), where);
    }
    return std::move(run->profile);
  }
  if (o.pid != 0) return app::ProfileProcess(o.pid, o.duration, sampler, view);
  auto run = app::ProfileCommand(o.command, sampler, view);
  if (!run.ok()) return run.status();
  *exit_status = run->exit_status;
  return std::move(run->profile);
}

}  // namespace

int RunProfile(const ProfileOptions& o) {
  if (!o.command.empty() + (o.pid != 0) + !o.suite.suites.empty() != 1) {
    return Fail(kExitUsage, "profile: give one of a command after --, -p PID or --suite SUITE");
  }
  profiler::SamplerOptions sampler;
  if (Status s = app::ParseCallGraph(o.call_graph, &sampler); !s.ok()) {
    return Fail(s.WithPrefix("profile: "));
  }
  sampler.event = o.event;
  sampler.off_cpu = o.off_cpu;
  if (o.off_cpu) {
    // Both halves are weighed in time: the on-CPU samples must be a clock's.
    if (o.event == "cycles") sampler.event = "task-clock";
    if (sampler.event != "task-clock" && sampler.event != "cpu-clock") {
      return Fail(kExitUsage,
                  "profile: --off-cpu weighs on-CPU samples by time: use -e "
                  "task-clock or cpu-clock, not '" +
                      o.event + "'");
    }
  }
  sampler.frequency = o.frequency;
  sampler.period = o.period;
  sampler.buffer_pages = o.buffer_pages;
  const std::string target = o.pid                    ? "pid " + std::to_string(o.pid)
                             : o.suite.suites.empty() ? o.command[0]
                                                      : "suite " + o.suite.suites[0];
  auto view = app::ParseView(o.by, o.inlined, o.lines);
  if (!view.ok()) return Fail(view.status());
  int exit_status = 0;
  auto profile = Sample(o, sampler, *view, &exit_status);
  if (!profile.ok()) return Fail(profile.status().WithPrefix("profile: "));
  if (!o.output.empty()) {
    const app::ProfileOutput out{o.output, o.format, o.title, o.min_width, o.inverted};
    if (Status s = app::WriteProfile(out, *profile, target); !s.ok()) return Fail(s);
  }
  // The profiled command owns stdout: the table goes to stderr, or where
  // --table says ("-": stdout).
  const std::string table = app::HotspotText(*profile, o.top, o.children, *view);
  if (o.table.empty()) {
    std::fflush(stdout);
    fmt::print(stderr, "{}", table);
  } else if (int code = WriteOutput(o.table, table); code != kExitSuccess) {
    return code;
  }
  PrintSummary(*profile, sampler);
  if (exit_status != 0) {
    // As `time` does: the profiled command's failure is the profile's status.
    fmt::print(stderr, "perfkit: {} exited with status {}\n", target, exit_status);
  }
  return exit_status;
}

int RunProfileDiff(const ProfileDiffOptions& o) {
  auto table =
      app::DiffProfiles({o.before, o.after, app::ResolveStore(o.db),
                         app::ProfileOutput{o.output, "svg", o.title, o.min_width, false}, o.top});
  if (!table.ok()) return Fail(table.status().WithPrefix("profile diff: "));
  fmt::print("{}", *table);
  return kExitSuccess;
}

namespace {

void AddDiff(CLI::App* cmd, ProfileDiffOptions* diff) {
  CLI::App* d = cmd->add_subcommand(
      "diff", "Differential flame graph and table: how profile B differs from A");
  d->add_option("before", diff->before, "Folded-stack file or run with a stored profile")
      ->required();
  d->add_option("after", diff->after, "Folded-stack file or run with a stored profile")->required();
  d->add_option("-o,--output", diff->output, "Write the differential flame graph (SVG) here");
  AddDbFlag(d, &diff->db);
  d->add_option("--title", diff->title, "Flame graph title");
  d->add_option("--minwidth", diff->min_width, "Leave out frames narrower than this (pixels)")
      ->check(FiniteRange(0, 10000));
  d->add_option("--top", diff->top, "Rows of the table");
}

}  // namespace

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
  cmd->add_option("--call-graph", opts->call_graph,
                  "dwarf[,STACK_BYTES] (default; unwinds code without frame pointers) or fp");
  cmd->add_option("-o,--output", opts->output,
                  "Write the profile here: folded stacks, or an SVG flame graph for .svg");
  cmd->add_option("--format", opts->format,
                  "folded, svg or speedscope (default: from the -o extension: .svg, .json)")
      ->check(CLI::IsMember({"folded", "svg", "speedscope"}));
  cmd->add_option("--title", opts->title, "Flame graph title");
  cmd->add_option("--minwidth", opts->min_width,
                  "Leave out flame graph frames narrower than this (pixels)")
      ->check(FiniteRange(0, 10000));
  cmd->add_flag("--inverted", opts->inverted, "Flame graph as an icicle (roots at the top)");
  cmd->add_option("--buffer-pages", opts->buffer_pages, "Ring buffer pages per CPU (power of two)");
  cmd->add_option("--top", opts->top, "Rows of the hotspot table");
  cmd->add_option("--table", opts->table,
                  "Write the hotspot table to this file ('-': stdout; default: stderr, since the "
                  "profiled command owns stdout)");
  cmd->add_flag("!--no-inline", opts->inlined,
                "One frame per function, not one per function inlined into it (from DWARF)");
  cmd->add_flag("--off-cpu", opts->off_cpu,
                "Wall-clock view: also the time threads spend switched out (blocked, sleeping, "
                "waiting for a CPU), under the stacks that waited, beside task-clock samples");
  cmd->add_flag("--lines", opts->lines,
                "Name the sampled line beside each leaf function (file.c:123, from DWARF): the "
                "table then ranks the hottest source lines");
  cmd->add_flag("--children", opts->children,
                "Rank the table by total (inclusive) share, as perf report --children does");
  cmd->add_option("--by", opts->by,
                  "Stack roots: process (by name, the default), pid (name [pid]: processes of "
                  "one name apart), thread (the process, then each thread by name and tid) or dso "
                  "(frames named by their library, as perf's --sort dso)")
      ->check(CLI::IsMember({"process", "pid", "thread", "dso"}));
  auto* pid = cmd->add_option("-p,--pid", opts->pid, "Profile this running process instead");
  cmd->add_option("--duration", opts->duration, "Seconds to sample a process given with -p")
      ->check(FiniteRange(0.001, 86400.0))
      ->needs(pid);
  const MeasureFlagOptions measure = AddMeasureFlags(cmd, &opts->suite);
  measure.suite->description("Profile `perfkit bench` on this suite; stored with its run");
  for (CLI::Option* o : measure.others) o->needs(measure.suite);
  cmd->add_option("command", opts->command, "The command, after --");
  auto diff = std::make_shared<ProfileDiffOptions>();
  AddDiff(cmd, diff.get());
  CLI::App* d = cmd->get_subcommand("diff");
  return [opts, diff, d] { return d->parsed() ? RunProfileDiff(*diff) : RunProfile(*opts); };
}

}  // namespace perfkit::cli
