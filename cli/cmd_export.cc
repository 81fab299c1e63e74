// `perfkit export [RUN|latest] [-o FILE]`: a stored run as Google Benchmark
// JSON, readable by Google Benchmark's tools/compare.py.
#include "cli/cmd_export.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/database.h"
#include "app/runs.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

int RunExport(const ExportOptions& options) {
  auto format = app::ParseExportFormat(options.format);
  if (!format.ok()) return Fail(format.status());
  auto text = app::ExportRun({app::ResolveStore(options.db), options.run, *format});
  if (!text.ok()) return Fail(text.status());
  return WriteOutput(options.output, *text);
}

Runner AddExport(CLI::App& app) {
  auto opts = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write a stored run for other tools (Google Benchmark JSON by default)");
  cmd->add_option("run", opts->run, "Run id, uuid (prefix) or 'latest'");
  cmd->add_option("-o,--output", opts->output, "Output file (default: stdout)");
  cmd->add_option("--format", opts->format,
                  "gbench (Google Benchmark JSON with the run's claims, default), bencher (BMF "
                  "JSON), github-action-benchmark (customSmallerIsBetter), csv (one row per "
                  "repetition) or claims-csv (one row per claim)")
      ->check(CLI::IsMember({"gbench", "bencher", "github-action-benchmark", "csv", "claims-csv"}));
  AddDbFlag(cmd, &opts->db);
  return [opts] { return RunExport(*opts); };
}

}  // namespace perfkit::cli
