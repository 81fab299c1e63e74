#include "app/runs.h"

#include <cstdlib>

#include "app/bench_request.h"
#include "app/database.h"
#include "app/run_ref.h"
#include "report/exports.h"
#include "report/gbench_json.h"
#include "suites/registry.h"

namespace perfkit::app {

Result<std::vector<store::RunListing>> ListRuns(const RunsRequest& request) {
  if (!request.db.MayHoldRuns()) return std::vector<store::RunListing>();
  auto store = OpenStore(request.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  return (*store)->ListRuns(request.limit, request.host);
}

Result<std::vector<store::HostListing>> ListHosts(const store::StoreLocation& db) {
  if (!db.MayHoldRuns()) return std::vector<store::HostListing>();
  auto store = OpenStore(db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  return (*store)->ListHosts();
}

Result<ExportFormat> ParseExportFormat(const std::string& name) {
  if (name == "gbench") return ExportFormat::kGbench;
  if (name == "bencher") return ExportFormat::kBencher;
  if (name == "github-action-benchmark") return ExportFormat::kGithubAction;
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "claims-csv") return ExportFormat::kClaimsCsv;
  return Status::InvalidArgument("unknown export format '" + name + "'");
}

Result<std::string> ExportRun(const ExportRequest& request) {
  auto store = OpenStore(request.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  auto run = (*store)->LoadRun(request.run);
  if (!run.ok()) return run.status();
  switch (request.format) {
    case ExportFormat::kBencher:
      return report::ToBencherJson(*run);
    case ExportFormat::kGithubAction:
      return report::ToGithubActionJson(*run);
    case ExportFormat::kCsv:
      return report::ToRepetitionCsv({&*run}, {std::to_string(run->id)});
    case ExportFormat::kClaimsCsv:
      return report::ToClaimsCsv(*run);
    case ExportFormat::kGbench:
      break;
  }
  return report::ToGbenchJson(*run);
}

std::string GbenchJson(const RunRecord& run) { return report::ToGbenchJson(run); }

Result<Imported> ImportRun(const ImportRequest& request) {
  auto tags = ParseTags(request.tags);
  if (!tags.ok()) return tags.status();
  auto run = LoadGbenchFile(request.file);
  if (!run.ok()) return run.status();
  auto store = OpenStore(request.db);
  if (!store.ok()) return store.status();
  for (const auto& [k, v] : *tags) run->tags[k] = v;
  if (Status s = (*store)->SaveRun(*run); !s.ok()) return s;
  Imported out{std::move(*run), 0};
  for (const auto& b : out.run.benchmarks) out.samples += b.samples.size();
  return out;
}

Result<std::vector<std::string>> CompletionWords(const std::string& kind,
                                                 const store::StoreLocation& db) {
  std::vector<std::string> words;
  if (kind == "suites") {
    for (const suites::SuiteEntry& s : suites::AllSuites()) words.emplace_back(s.name);
    return words;
  }
  if (!db.MayHoldRuns()) return words;
  // A shared store that does not answer must not hold up a Tab for libpq's
  // 10 s (a user's own PGCONNECT_TIMEOUT wins).
  setenv("PGCONNECT_TIMEOUT", "2", 0);
  auto store = OpenStore(db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  if (kind == "runs") {
    auto runs = (*store)->ListRuns(50);
    if (!runs.ok()) return runs.status();
    if (!runs->empty()) words.emplace_back("latest");
    for (const auto& r : *runs) words.push_back(std::to_string(r.run.id));
  } else if (kind == "hosts") {
    auto hosts = (*store)->ListHosts();
    if (!hosts.ok()) return hosts.status();
    for (const auto& h : *hosts) {
      words.push_back(h.fingerprint);
      if (!h.name.empty()) words.push_back(h.name);
    }
  } else if (kind == "baselines") {
    auto list = (*store)->ListBaselines();
    if (!list.ok()) return list.status();
    for (const auto& b : *list) words.push_back(b.name);
  }
  return words;
}

}  // namespace perfkit::app
