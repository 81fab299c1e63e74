#include "cli/cmd_profile_diff.h"

#include <fmt/format.h>

#include <filesystem>

#include "cli/common.h"
#include "cli/exit_status.h"
#include "report/flamegraph.h"
#include "report/profile_format.h"

namespace perfkit::cli {
namespace {

// A folded file if one exists by that name, else a run's stored profile.
Result<std::vector<ProfileStack>> LoadStacks(const std::string& ref, const std::string& db) {
  if (std::filesystem::is_regular_file(ref)) {
    auto text = ReadFile(ref);
    if (!text.ok()) return text.status();
    auto stacks = report::ParseFolded(*text);
    if (!stacks.ok()) return Status::Error(ref + ": " + stacks.error());
    if (stacks->empty()) return Status::Error(ref + ": no samples");
    return stacks;
  }
  if (!std::filesystem::exists(DatabasePath(db))) {
    return Status::Error("'" + ref + "' is neither a folded-stack file nor a run (no database " +
                         DatabasePath(db) + ")");
  }
  auto store = OpenStore(db);
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

}  // namespace

int RunProfileDiff(const ProfileDiffOptions& options) {
  auto before = LoadStacks(options.before, options.db);
  if (!before.ok()) return Fail(kExitFailure, "profile diff: " + before.error());
  auto after = LoadStacks(options.after, options.db);
  if (!after.ok()) return Fail(kExitFailure, "profile diff: " + after.error());
  if (!options.output.empty()) {
    report::FlameGraphOptions svg;
    svg.title = options.title.empty() ? "perfkit profile diff" : options.title;
    svg.subtitle = fmt::format("{} -> {}: red spends more, blue less; dashed: gone", options.before,
                               options.after);
    svg.min_width_px = options.min_width;
    const std::string content = report::DiffFlameGraphSvg(*before, *after, svg);
    if (Status s = WriteFileAtomically(options.output, content); !s.ok()) {
      return Fail(kExitFailure, s.message());
    }
  }
  fmt::print("{}", report::DiffTable(*before, *after, options.top));
  return kExitSuccess;
}

}  // namespace perfkit::cli
