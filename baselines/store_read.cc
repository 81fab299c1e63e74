// Reading runs back.
#include <nlohmann/json.hpp>

#include "baselines/sqlite_util.h"
#include "baselines/store.h"
#include "suites/result_json.h"

namespace perfkit::store {
namespace {

constexpr const char* kRunColumns =
    "SELECT r.id, r.uuid, r.started_at, r.ended_at, r.command_line, r.perfkit_version, "
    "r.git_commit, r.source, r.status, r.context_json, "
    "(SELECT COUNT(*) FROM benchmarks b WHERE b.run_id = r.id), "
    "(SELECT COUNT(*) FROM samples s JOIN benchmarks b ON s.benchmark_id = b.id "
    "WHERE b.run_id = r.id) FROM runs r ";

RunListing ReadRunRow(const internal::Statement& q) {
  RunListing l;
  RunRecord& r = l.run;
  r.id = q.Int(0);
  r.uuid = q.Text(1);
  r.started_at = q.Text(2);
  r.ended_at = q.Text(3);
  r.command_line = q.Text(4);
  r.perfkit_version = q.Text(5);
  r.git_commit = q.Text(6);
  r.source = q.Text(7);
  r.status = ParseRunStatus(q.Text(8));
  r.host = HostContextFromJson(nlohmann::json::parse(q.Text(9), nullptr, false));
  l.benchmarks = q.Int(10);
  l.samples = q.Int(11);
  return l;
}

}  // namespace

using internal::Error;
using internal::Statement;

Result<int64_t> Store::ResolveRunId(const std::string& ref) {
  if (ref == "latest") {
    Statement q(db_, "SELECT id FROM runs ORDER BY id DESC LIMIT 1");
    if (q.Step() == SQLITE_ROW) return q.Int(0);
    return Status::Error("the database has no runs yet (run 'perfkit bench' first)");
  }
  if (!ref.empty() && ref.find_first_not_of("0123456789") == std::string::npos) {
    Statement q(db_, "SELECT id FROM runs WHERE id = ?");
    q.Bind(1, static_cast<int64_t>(std::stoll(ref)));
    if (q.Step() == SQLITE_ROW) return q.Int(0);
  }
  Statement q(db_, "SELECT id FROM runs WHERE uuid LIKE ? || '%' ESCAPE '\\' LIMIT 2");
  std::string escaped;
  for (char c : ref) {
    if (c == '%' || c == '_' || c == '\\') escaped += '\\';
    escaped += c;
  }
  q.Bind(1, escaped);
  if (!ref.empty() && q.Step() == SQLITE_ROW) {
    const int64_t id = q.Int(0);
    if (q.Step() == SQLITE_ROW) return Status::Error("run '" + ref + "' is ambiguous");
    return id;
  }
  return Status::Error("no run '" + ref + "' (see 'perfkit runs')");
}

Status Store::LoadBenchmarks(RunRecord& run) {
  Statement b(db_,
              "SELECT id, name, suite, role, threads, time_unit, label, error "
              "FROM benchmarks WHERE run_id = ? ORDER BY id");
  b.Bind(1, run.id);
  std::vector<int64_t> ids;
  while (b.Step() == SQLITE_ROW) {
    ids.push_back(b.Int(0));
    BenchmarkResult r;
    r.name = b.Text(1);
    r.suite = b.Text(2);
    r.role = ParseRole(b.Text(3));
    r.threads = b.Int(4);
    r.time_unit = b.Text(5);
    r.label = b.Text(6);
    r.error = b.Text(7);
    run.benchmarks.push_back(std::move(r));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    Statement s(db_,
                "SELECT repetition_index, iterations, real_time_ns, cpu_time_ns, "
                "counters_json FROM samples WHERE benchmark_id = ? ORDER BY repetition_index");
    s.Bind(1, ids[i]);
    while (s.Step() == SQLITE_ROW) {
      Sample sample;
      sample.repetition_index = s.Int(0);
      sample.iterations = s.Int(1);
      sample.real_time_ns = s.Double(2);
      sample.cpu_time_ns = s.Double(3);
      auto counters = nlohmann::json::parse(s.Text(4), nullptr, false);
      if (counters.is_object()) {
        for (auto& [k, v] : counters.items()) {
          if (v.is_number()) sample.counters[k] = v.get<double>();
        }
      }
      run.benchmarks[i].samples.push_back(std::move(sample));
    }
  }
  return OkStatus();
}

Result<RunRecord> Store::LoadRun(const std::string& ref) {
  auto id = ResolveRunId(ref);
  if (!id.ok()) return id.status();
  Statement q(db_, (std::string(kRunColumns) + "WHERE r.id = ?").c_str());
  q.Bind(1, *id);
  if (q.Step() != SQLITE_ROW) return Error(db_, "reading run");
  RunRecord run = ReadRunRow(q).run;
  Statement tags(db_, "SELECT key, value FROM run_tags WHERE run_id = ? ORDER BY key");
  tags.Bind(1, run.id);
  while (tags.Step() == SQLITE_ROW) run.tags[tags.Text(0)] = tags.Text(1);
  Statement raw(db_, "SELECT json FROM raw_imports WHERE run_id = ?");
  raw.Bind(1, run.id);
  if (raw.Step() == SQLITE_ROW) run.raw_json = raw.Text(0);
  if (Status s = LoadBenchmarks(run); !s.ok()) return s;
  return run;
}

Result<std::vector<RunListing>> Store::ListRuns(int limit) {
  Statement q(db_, (std::string(kRunColumns) + "ORDER BY r.id DESC LIMIT ?").c_str());
  q.Bind(1, static_cast<int64_t>(limit));
  std::vector<RunListing> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadRunRow(q));
  if (rc != SQLITE_DONE) return Error(db_, "listing runs");
  for (RunListing& l : out) {
    Statement tags(db_, "SELECT key, value FROM run_tags WHERE run_id = ? ORDER BY key");
    tags.Bind(1, l.run.id);
    while (tags.Step() == SQLITE_ROW) l.run.tags[tags.Text(0)] = tags.Text(1);
  }
  return out;
}

}  // namespace perfkit::store
