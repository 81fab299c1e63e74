#include "cli/cmd_profile.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>

#include "cli/cmd_profile_diff.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/exit_status.h"
#include "report/flamegraph.h"
#include "report/profile_format.h"
#include "subsystems/base/self_path.h"
#include "suites/harness/runner.h"
#include "suites/profiler/sampler.h"
#include "suites/profiler/symbolizer.h"

namespace perfkit::cli {
namespace {

Status ParseCallGraph(const std::string& text, profiler::SamplerOptions* sampler) {
  if (text == "fp") {
    sampler->call_graph = profiler::CallGraph::kFramePointers;
    return OkStatus();
  }
  if (text.rfind("dwarf", 0) != 0 || (text.size() > 5 && text[5] != ',')) {
    return Status::Error("--call-graph takes fp, dwarf or dwarf,STACK_BYTES, not '" + text + "'");
  }
  sampler->call_graph = profiler::CallGraph::kDwarf;
  if (text.size() == 5) return OkStatus();
  const std::string size = text.substr(6);
  char* end = nullptr;
  const unsigned long long bytes = std::strtoull(size.c_str(), &end, 10);
  if (size.empty() || *end != '\0')
    return Status::Error("--call-graph dwarf,SIZE: '" + size + "' is not a number");
  sampler->stack_bytes = static_cast<uint32_t>(std::min<unsigned long long>(bytes, 1u << 20));
  return profiler::CheckStackBytes(bytes);
}

// `perfkit bench` on the suite, its run tagged so that the profile can
// find it afterwards.
std::vector<std::string> BenchCommand(const ProfileOptions& options, const std::string& token) {
  const std::string self = SelfExecutable();
  std::vector<std::string> argv = {
      self.empty() ? "perfkit" : self, "bench", "--suite",         options.suite, "--db",
      DatabasePath(options.db),        "--tag", "profile=" + token};
  if (!options.filter.empty()) argv.insert(argv.end(), {"--filter", options.filter});
  if (options.quick) argv.push_back("--quick");
  if (options.repetitions > 0) {
    argv.insert(argv.end(), {"--repetitions", std::to_string(options.repetitions)});
  }
  return argv;
}

Status StoreWithRun(const std::string& db, const std::string& token,
                    const profiler::Profile& profile, const profiler::SamplerOptions& sampler) {
  auto store = OpenStore(db);
  if (!store.ok()) return store.status();
  auto runs = (*store)->ListRuns(50);
  if (!runs.ok()) return runs.status();
  for (const store::RunListing& listing : *runs) {
    auto tag = listing.run.tags.find("profile");
    if (tag == listing.run.tags.end() || tag->second != token) continue;
    StoredProfile stored;
    stored.run_id = listing.run.id;
    stored.event = profile.event;
    stored.call_graph = sampler.call_graph == profiler::CallGraph::kDwarf ? "dwarf" : "fp";
    stored.samples = profile.samples;
    stored.lost = profile.lost;
    stored.complete = profile.complete;
    stored.stacks = profile.stacks;
    if (Status s = (*store)->SaveProfile(stored); !s.ok()) return s;
    fmt::print(stderr, "perfkit: stored the profile with run {} ({}) in {}\n", listing.run.id,
               listing.run.uuid.substr(0, 8), DatabasePath(db));
    return OkStatus();
  }
  return Status::Error("the benchmark run was not found in " + DatabasePath(db));
}

}  // namespace

int RunProfile(const ProfileOptions& options) {
  if (!options.command.empty() + (options.pid != 0) + !options.suite.empty() != 1) {
    return Fail(kExitUsage, "profile: give one of a command after --, -p PID or --suite SUITE");
  }
  std::string format = options.format;
  auto ends_with = [&](const std::string& suffix) {
    return options.output.size() >= suffix.size() &&
           options.output.compare(options.output.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  if (format.empty())
    format = ends_with(".svg") ? "svg" : ends_with(".json") ? "speedscope" : "folded";
  profiler::SamplerOptions sampler;
  if (Status s = ParseCallGraph(options.call_graph, &sampler); !s.ok()) {
    return Fail(kExitUsage, "profile: " + s.message());
  }
  sampler.event = options.event;
  sampler.frequency = options.frequency;
  sampler.period = options.period;
  sampler.buffer_pages = options.buffer_pages;
  std::vector<std::string> command = options.command;
  const std::string token = NewUuid();
  if (!options.suite.empty()) {
    // Bad input is refused here, before anything is sampled or stored.
    harness::RunOptions check;
    check.suites = {options.suite};
    check.filter = options.filter;
    if (auto selection = harness::Select(check); !selection.ok()) {
      return Fail(kExitUsage, "profile: " + selection.error());
    }
    command = BenchCommand(options, token);
    // perfkit's own frames above a benchmark take about 32 KiB of stack.
    if (options.call_graph == "dwarf") sampler.stack_bytes = 65528;
    if (options.buffer_pages == 0) sampler.buffer_pages = 1024;
  }
  const std::string target = options.pid             ? "pid " + std::to_string(options.pid)
                             : options.suite.empty() ? command[0]
                                                     : "suite " + options.suite;
  int exit_status = 0;
  profiler::RawProfile raw;
  if (options.pid) {
    auto run = profiler::ProfilePid(options.pid, options.duration, sampler);
    if (!run.ok()) return Fail(kExitFailure, "profile: " + run.error());
    raw = std::move(run).value();
  } else {
    auto run = profiler::ProfileCommand(command, sampler);
    if (!run.ok()) return Fail(kExitFailure, "profile: " + run.error());
    exit_status = run->exit_status;
    raw = std::move(run->profile);
  }
  const profiler::Profile profile = profiler::Symbolize(raw);
  if (!options.suite.empty() && exit_status == 0) {
    if (Status s = StoreWithRun(options.db, token, profile, sampler); !s.ok()) {
      return Fail(kExitFailure, "profile: " + s.message());
    }
  }
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
  if (profile.lost > 0) {
    fmt::print(stderr, "perfkit: {} samples were lost: raise --buffer-pages or lower -F\n",
               profile.lost);
  }
  if (exit_status != 0) {
    fmt::print(stderr, "perfkit: {} exited with status {}\n", target, exit_status);
    // The benchmarks are ours: their failure is the profile's.
    if (!options.suite.empty()) return exit_status;
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
  cmd->add_option("--call-graph", opts->call_graph,
                  "dwarf[,STACK_BYTES] (default; unwinds code without frame pointers) or fp");
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
  auto* suite = cmd->add_option("--suite", opts->suite,
                                "Profile `perfkit bench` on this suite; stored with its run");
  cmd->add_option("--filter", opts->filter, "With --suite: only benchmarks matching this regex")
      ->needs(suite);
  cmd->add_option("--db", opts->db,
                  "With --suite: SQLite database (default $PERFKIT_DB or ./perfkit.db)")
      ->needs(suite);
  cmd->add_flag("--quick", opts->quick, "With --suite: 3 short repetitions")->needs(suite);
  cmd->add_option("--repetitions", opts->repetitions, "With --suite: repetitions per benchmark")
      ->check(CLI::Range(1, 1000))
      ->needs(suite);
  cmd->add_option("command", opts->command, "The command, after --");

  auto diff = std::make_shared<ProfileDiffOptions>();
  CLI::App* d = cmd->add_subcommand(
      "diff", "Differential flame graph and table: how profile B differs from A");
  d->add_option("before", diff->before, "Folded-stack file or run with a stored profile")
      ->required();
  d->add_option("after", diff->after, "Folded-stack file or run with a stored profile")->required();
  d->add_option("-o,--output", diff->output, "Write the differential flame graph (SVG) here");
  d->add_option("--db", diff->db, "SQLite database for run references");
  d->add_option("--title", diff->title, "Flame graph title");
  d->add_option("--minwidth", diff->min_width, "Leave out frames narrower than this (pixels)");
  d->add_option("--top", diff->top, "Rows of the table");
  return [opts, diff, d] { return d->parsed() ? RunProfileDiff(*diff) : RunProfile(*opts); };
}

}  // namespace perfkit::cli
