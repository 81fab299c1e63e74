#include "app/profiles.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "app/database.h"
#include "app/files.h"
#include "app/run_record.h"
#include "report/flamegraph.h"
#include "report/profile_format.h"
#include "subsystems/base/self_path.h"
#include "subsystems/profiler/symbolizer.h"

namespace perfkit::app {
namespace {

StoredProfile ToStored(int64_t run_id, const profiler::Profile& profile,
                       const profiler::SamplerOptions& sampler) {
  StoredProfile stored;
  stored.run_id = run_id;
  stored.event = profile.event;
  stored.call_graph = sampler.call_graph == profiler::CallGraph::kDwarf ? "dwarf" : "fp";
  stored.samples = profile.samples;
  stored.lost = profile.lost;
  stored.complete = profile.complete;
  stored.stacks = profile.stacks;
  return stored;
}

// The run the child bench made: the one carrying our token.
Status StoreWithRun(const BenchRequest& request, const std::string& token,
                    const profiler::SamplerOptions& sampler, SuiteProfile* out) {
  auto store = OpenStore(request.db);
  if (!store.ok()) return store.status();
  auto runs = (*store)->ListRuns(50);
  if (!runs.ok()) return runs.status();
  for (const store::RunListing& listing : *runs) {
    auto tag = listing.run.tags.find("profile");
    if (tag == listing.run.tags.end() || tag->second != token) continue;
    if (Status s = (*store)->SaveProfile(ToStored(listing.run.id, out->profile, sampler));
        !s.ok()) {
      return s;
    }
    out->run_id = listing.run.id;
    out->run_uuid = listing.run.uuid;
    return OkStatus();
  }
  return Status::Error("the benchmark run was not found in " + request.db.shown());
}

}  // namespace

Result<profiler::SymbolizeOptions> ParseView(const std::string& by, bool inlined, bool lines) {
  profiler::SymbolizeOptions view;
  view.inlined = inlined;
  view.lines = lines;
  if (by == "pid") {
    view.root = StackRoot::kPid;
  } else if (by == "thread") {
    view.root = StackRoot::kThread;
  } else if (by == "dso") {
    view.by_dso = true;
  } else if (by != "process") {
    return Status::InvalidArgument("--by takes process, pid, thread or dso, not '" + by + "'");
  }
  return view;
}

Result<CommandProfile> ProfileCommand(const std::vector<std::string>& argv,
                                      const profiler::SamplerOptions& sampler,
                                      const profiler::SymbolizeOptions& symbolize) {
  auto run = profiler::ProfileCommand(argv, sampler);
  if (!run.ok()) return run.status();
  return CommandProfile{profiler::Symbolize(run->profile, symbolize), run->exit_status};
}

Result<profiler::Profile> ProfileProcess(int pid, double seconds,
                                         const profiler::SamplerOptions& sampler,
                                         const profiler::SymbolizeOptions& symbolize) {
  auto raw = profiler::ProfilePid(pid, seconds, sampler);
  if (!raw.ok()) return raw.status();
  return profiler::Symbolize(*raw, symbolize);
}

Result<SuiteProfile> ProfileSuite(const SuiteProfileRequest& request) {
  // Bad input is refused here, before anything is sampled or stored.
  if (auto selection = harness::Select(request.bench.run); !selection.ok()) {
    return selection.status();
  }
  BenchRequest tagged = request.bench;
  const std::string token = NewUuid();
  tagged.tags["profile"] = token;
  std::vector<std::string> argv = tagged.ToArgv();
  const std::string self = SelfExecutable();
  argv.insert(argv.begin(), self.empty() ? "perfkit" : self);
  profiler::SamplerOptions sampler = request.sampler;
  if (sampler.call_graph == profiler::CallGraph::kDwarf && !request.stack_bytes_given) {
    sampler.stack_bytes = 65528;
  }
  if (!request.buffer_pages_given) sampler.buffer_pages = 1024;
  auto run = profiler::ProfileCommand(argv, sampler, SystemLauncher(), tagged.ChildEnv());
  if (!run.ok()) return run.status();
  SuiteProfile out;
  out.exit_status = run->exit_status;
  out.profile = profiler::Symbolize(run->profile);
  if (out.exit_status == 0) {
    if (Status s = StoreWithRun(request.bench, token, sampler, &out); !s.ok()) return s;
  }
  return out;
}

Result<std::vector<ProfileStack>> LoadProfileStacks(const std::string& ref,
                                                    const store::StoreLocation& db) {
  if (std::filesystem::is_regular_file(ref)) {
    auto text = ReadFile(ref);
    if (!text.ok()) return text.status();
    auto stacks = report::ParseFolded(*text);
    if (!stacks.ok()) return Status::Error(ref + ": " + stacks.error());
    if (stacks->empty()) return Status::Error(ref + ": no samples");
    return stacks;
  }
  if (!db.MayHoldRuns()) {
    return Status::Error("'" + ref + "' is neither a folded-stack file nor a run (no database " +
                         db.shown() + ")");
  }
  auto store = OpenStore(db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  auto run = (*store)->LoadRun(ref);
  if (!run.ok()) return Status::Error("'" + ref + "' is neither a file nor a run: " + run.error());
  auto profiles = (*store)->LoadProfiles(run->id);
  if (!profiles.ok()) return profiles.status();
  if (profiles->empty()) {
    return Status::Error("run " + std::to_string(run->id) +
                         " has no stored profile (record one with `perfkit profile --suite`)");
  }
  return std::move(profiles->back().stacks);
}

Status ParseCallGraph(const std::string& text, profiler::SamplerOptions* sampler) {
  if (text == "fp") {
    sampler->call_graph = profiler::CallGraph::kFramePointers;
    return OkStatus();
  }
  if (text.rfind("dwarf", 0) != 0 || (text.size() > 5 && text[5] != ',')) {
    return Status::InvalidArgument("--call-graph takes fp, dwarf or dwarf,STACK_BYTES, not '" +
                                   text + "'");
  }
  sampler->call_graph = profiler::CallGraph::kDwarf;
  if (text.size() == 5) return OkStatus();
  const std::string size = text.substr(6);
  char* end = nullptr;
  const unsigned long long bytes = std::strtoull(size.c_str(), &end, 10);
  if (size.empty() || *end != '\0') {
    return Status::InvalidArgument("--call-graph dwarf,SIZE: '" + size + "' is not a number");
  }
  sampler->stack_bytes = static_cast<uint32_t>(std::min<unsigned long long>(bytes, 1u << 20));
  return profiler::CheckStackBytes(bytes);
}

namespace {

std::string OutputFormat(const ProfileOutput& o) {
  if (!o.format.empty()) return o.format;
  auto ends_with = [&](const std::string& suffix) {
    return o.path.size() >= suffix.size() &&
           o.path.compare(o.path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".svg") ? "svg" : ends_with(".json") ? "speedscope" : "folded";
}

}  // namespace

Status WriteProfile(const ProfileOutput& o, const profiler::Profile& profile,
                    const std::string& target) {
  const std::string format = OutputFormat(o);
  std::string content;
  if (format == "svg") {
    report::FlameGraphOptions svg;
    svg.title = o.title.empty() ? "perfkit profile: " + target : o.title;
    svg.subtitle = profile.weighted_by_time
                       ? fmt::format(
                             "{:.3f} s of thread time: {} and {} switch-outs (widths in time; "
                             "[off-cpu] frames are waits)",
                             static_cast<double>(profile.on_cpu_us + profile.off_cpu_us) / 1e6,
                             profile.event, profile.switches)
                       : fmt::format("{} samples of {}", profile.samples, profile.event);
    svg.min_width_px = o.min_width;
    svg.inverted = o.inverted;
    content = report::FlameGraphSvg(profile.stacks, svg);
  } else if (format == "speedscope") {
    content = report::SpeedscopeJson(profile.stacks, fmt::format("{} ({})", target, profile.event));
  } else {
    content = report::FoldedStacks(profile.stacks);
  }
  return WriteFileAtomically(o.path, content);
}

std::string HotspotText(const profiler::Profile& profile, size_t top, bool by_total,
                        const profiler::SymbolizeOptions& view) {
  const size_t roots = view.root == StackRoot::kThread ? 2 : 1;
  return report::HotspotTable(profile.stacks,
                              {top, by_total, roots, view.by_dso ? "file" : "function"});
}

Result<std::string> DiffProfiles(const ProfileDiffRequest& r) {
  auto before = LoadProfileStacks(r.before, r.db);
  if (!before.ok()) return before.status();
  auto after = LoadProfileStacks(r.after, r.db);
  if (!after.ok()) return after.status();
  if (!r.svg.path.empty()) {
    report::FlameGraphOptions svg;
    svg.title = r.svg.title.empty() ? "perfkit profile diff" : r.svg.title;
    svg.subtitle =
        fmt::format("{} -> {}: red spends more, blue less; dashed: gone", r.before, r.after);
    svg.min_width_px = r.svg.min_width;
    const std::string content = report::DiffFlameGraphSvg(*before, *after, svg);
    if (Status s = WriteFileAtomically(r.svg.path, content); !s.ok()) return s;
  }
  return report::DiffTable(*before, *after, r.top);
}

}  // namespace perfkit::app
