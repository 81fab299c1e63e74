#include "cli/cmd_import.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/database.h"
#include "app/runs.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

int RunImport(const ImportOptions& options) {
  auto imported = app::ImportRun({app::ResolveStore(options.db), options.file, options.tags});
  if (!imported.ok()) return Fail(imported.status());
  const RunRecord& run = imported->run;
  fmt::print("imported run {} ({}): {} benchmarks, {} samples\n", run.id, run.uuid.substr(0, 8),
             run.benchmarks.size(), imported->samples);
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
