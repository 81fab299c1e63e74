// `perfkit export [RUN|latest] [-o FILE]`: a stored run as Google Benchmark
// JSON, readable by Google Benchmark's tools/compare.py.
#include "cli/cmd_export.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/database.h"
#include "app/files.h"
#include "cli/command.h"
#include "cli/common.h"
#include "report/exports.h"
#include "report/gbench_json.h"

namespace perfkit::cli {

int RunExport(const ExportOptions& options) {
  auto store = app::OpenStore(options.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto run = (*store)->LoadRun(options.run);
  if (!run.ok()) return Fail(run.status());
  std::string text;
  if (options.format == "bencher") {
    text = report::ToBencherJson(*run);
  } else if (options.format == "github-action-benchmark") {
    text = report::ToGithubActionJson(*run);
  } else if (options.format == "csv") {
    text = report::ToRepetitionCsv({&*run}, {std::to_string(run->id)});
  } else {
    text = report::ToGbenchJson(*run);
  }
  if (options.output.empty() || options.output == "-") {
    fmt::print("{}", text);
    return kExitSuccess;
  }
  if (Status s = app::WriteFileAtomically(options.output, text); !s.ok()) {
    return Fail(kExitFailure, s.message());
  }
  return kExitSuccess;
}

Runner AddExport(CLI::App& app) {
  auto opts = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write a stored run for other tools (Google Benchmark JSON by default)");
  cmd->add_option("run", opts->run, "Run id, uuid (prefix) or 'latest'");
  cmd->add_option("-o,--output", opts->output, "Output file (default: stdout)");
  cmd->add_option("--format", opts->format,
                  "gbench (Google Benchmark JSON, default), bencher (BMF JSON), "
                  "github-action-benchmark (customSmallerIsBetter) or csv (one row per repetition)")
      ->check(CLI::IsMember({"gbench", "bencher", "github-action-benchmark", "csv"}));
  AddDbFlag(cmd, &opts->db);
  return [opts] { return RunExport(*opts); };
}

}  // namespace perfkit::cli
