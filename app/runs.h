// What the store holds, for the commands that read or add whole runs:
// `runs`, `hosts`, `export`, `import`, and the words a completion offers.
#pragma once

#include <string>
#include <vector>

#include "baselines/store.h"
#include "subsystems/base/status.h"

namespace perfkit::app {

// `runs`: newest first; none when there is no database yet.
struct RunsRequest {
  store::StoreLocation db;
  int limit = 20;
  std::string host;  // a fingerprint (or 4+ of its leading digits) or a hostname
};
Result<std::vector<store::RunListing>> ListRuns(const RunsRequest& request);

// `hosts`: most recently used first; none when there is no database yet.
Result<std::vector<store::HostListing>> ListHosts(const store::StoreLocation& db);

enum class ExportFormat { kGbench, kBencher, kGithubAction, kCsv, kClaimsCsv };
// "gbench", "bencher", "github-action-benchmark" or "csv".
Result<ExportFormat> ParseExportFormat(const std::string& name);
struct ExportRequest {
  store::StoreLocation db;
  std::string run = "latest";
  ExportFormat format = ExportFormat::kGbench;
};
// The run in that format, as text.
Result<std::string> ExportRun(const ExportRequest& request);
// A run as Google Benchmark JSON (bench --json).
std::string GbenchJson(const RunRecord& run);

struct ImportRequest {
  store::StoreLocation db;
  std::string file;               // Google Benchmark JSON
  std::vector<std::string> tags;  // KEY=VALUE
};
struct Imported {
  RunRecord run;
  size_t samples = 0;
};
Result<Imported> ImportRun(const ImportRequest& request);

// Values a shell completes to: "suites", "runs", "baselines" or "hosts".
// A store that does not answer within 2 s gives none, quietly.
Result<std::vector<std::string>> CompletionWords(const std::string& kind,
                                                 const store::StoreLocation& db);

}  // namespace perfkit::app
