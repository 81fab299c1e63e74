#include "cli/cmd_import.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/bench_request.h"
#include "app/database.h"
#include "app/run_ref.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

int RunImport(const ImportOptions& options) {
  auto tags = app::ParseTags(options.tags);
  if (!tags.ok()) return Fail(tags.status());
  auto run = app::LoadGbenchFile(options.file);
  if (!run.ok()) return Fail(run.status());
  auto store = app::OpenStore(options.db);
  if (!store.ok()) return Fail(store.status());
  for (const auto& [k, v] : *tags) run->tags[k] = v;
  if (Status s = (*store)->SaveRun(*run); !s.ok()) return Fail(s);
  size_t samples = 0;
  for (const auto& b : run->benchmarks) samples += b.samples.size();
  fmt::print("imported run {} ({}): {} benchmarks, {} samples\n", run->id, run->uuid.substr(0, 8),
             run->benchmarks.size(), samples);
  return kExitSuccess;
}

Runner AddImport(CLI::App& app) {
  auto opts = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand("import", "Store a Google Benchmark JSON file as a run");
  cmd->add_option("file", opts->file, "Google Benchmark JSON output")->required();
  cmd->add_option("--tag", opts->tags, "KEY=VALUE stored with the run (repeatable)")
      ->allow_extra_args(false);
  AddDbFlag(cmd, &opts->db);
  return [opts] { return RunImport(*opts); };
}

}  // namespace perfkit::cli
