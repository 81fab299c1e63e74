// `perfkit sync --from perfkit.db --to postgresql://...`: push runs recorded
// where the shared store could not be reached.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/database.h"
#include "app/sync.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

Runner AddSync(CLI::App& app) {
  auto flags = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "sync",
      "Copy the runs of one store into another (a runner's perfkit.db into the shared "
      "PostgreSQL store), with their profiles and baseline saves; runs already there by uuid are "
      "left as they are");
  cmd->add_option("--from", flags->first, "Store to copy from (a SQLite file or a URI)")
      ->required();
  cmd->add_option("--to", flags->second, "Store to copy into (a SQLite file or a URI)")->required();
  return [flags]() -> int {
    const app::SyncRequest request{app::ResolveStore(flags->first),
                                   app::ResolveStore(flags->second)};
    auto out = app::Sync(request);
    if (!out.ok()) return Fail(out.status());
    fmt::print("copied {} run{} and {} baseline save{} from {} to {}; {} already there",
               out->copied, out->copied == 1 ? "" : "s", out->baseline_saves,
               out->baseline_saves == 1 ? "" : "s", request.from.shown(), request.to.shown(),
               out->already_there);
    if (out->still_running > 0) {
      fmt::print(", {} still running (sync again when they finish)", out->still_running);
    }
    fmt::print("\n");
    return kExitSuccess;
  };
}

}  // namespace perfkit::cli
