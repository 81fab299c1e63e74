#include "cli/cmd_import.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "build_info.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/exit_status.h"
#include "report/gbench_json.h"

namespace perfkit::cli {

Result<RunRecord> LoadGbenchFile(const std::string& file) {
  auto text = ReadFile(file);
  if (!text.ok()) return text.status();
  auto run = report::FromGbenchJson(*text, file);
  if (!run.ok()) return run.status();
  run->uuid = NewUuid();
  if (run->started_at.empty()) run->started_at = NowIso8601();
  run->ended_at = NowIso8601();
  run->command_line = Invocation();
  run->perfkit_version = PERFKIT_VERSION;
  return run;
}

int RunImport(const ImportOptions& options) {
  auto tags = ParseTags(options.tags);
  if (!tags.ok()) return Fail(kExitUsage, tags.error());
  auto run = LoadGbenchFile(options.file);
  if (!run.ok()) return Fail(kExitFailure, run.error());
  auto store = OpenStore(options.db);
  if (!store.ok()) return Fail(kExitFailure, store.error());
  for (const auto& [k, v] : *tags) run->tags[k] = v;
  if (Status s = (*store)->SaveRun(*run); !s.ok()) return Fail(kExitFailure, s.message());
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
  cmd->add_option("--db", opts->db, "SQLite database (default $PERFKIT_DB or ./perfkit.db)");
  return [opts] { return RunImport(*opts); };
}

}  // namespace perfkit::cli
