// Reading runs back.
#include <cmath>
#include <nlohmann/json.hpp>

#include "baselines/run_ref.h"
#include "baselines/sql.h"
#include "baselines/store.h"
#include "results/result_json.h"

namespace perfkit::store {
namespace {

// Schema 3 (read as it is by read-only commands) has no owner columns.
std::string RunColumns(int schema_version) {
  return std::string(
             "SELECT r.id, r.uuid, r.started_at, r.ended_at, r.command_line, r.perfkit_version, "
             "r.git_commit, r.source, r.status, r.context_json, "
             "(SELECT COUNT(*) FROM benchmarks b WHERE b.run_id = r.id), "
             "(SELECT COUNT(*) FROM samples s JOIN benchmarks b ON s.benchmark_id = b.id "
             "WHERE b.run_id = r.id), ") +
         (schema_version >= 4
              ? "r.owner_pid, r.owner_start_time, r.owner_boot_id, r.owner_hostname "
              : "0, '', '', '' ") +
         "FROM runs r ";
}

RunListing ReadRunRow(const sql::Statement& q) {
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
  r.owner = {q.Int(12), q.Text(13), q.Text(14), q.Text(15)};
  if (r.status == RunStatus::kRunning && CheckLiveness(r.owner) == Liveness::kDead) {
    r.status = RunStatus::kAbandoned;
  }
  return l;
}

}  // namespace

using sql::Statement;

Result<int64_t> Store::ResolveRunId(const std::string& text) {
  auto ref = ParseRunRef(text);
  if (!ref.ok()) return ref.status();
  if (schema_version_ == 0) {  // an empty database, opened read-only
    return Status::Error("the database has no runs yet (run 'perfkit bench' first)");
  }
  if (ref->kind == RunRef::Kind::kLatest) {
    Statement q(*db_, "SELECT id FROM runs ORDER BY id DESC LIMIT 1");
    if (q.Next()) return q.Int(0);
    if (!q.status().ok()) return q.status();
    return Status::Error("the database has no runs yet (run 'perfkit bench' first)");
  }
  if (ref->kind == RunRef::Kind::kId) {
    Statement q(*db_, "SELECT id FROM runs WHERE id = ?");
    q.Bind(1, ref->id);
    if (q.Next()) return q.Int(0);
    if (!q.status().ok()) return q.status();
    return Status::Error("no run '" + text + "' (see 'perfkit runs')");
  }
  // Prefixes hold only hex digits and '-', nothing LIKE treats specially.
  Statement q(*db_,
              "SELECT id, uuid FROM runs WHERE lower(uuid) LIKE ? || '%' ORDER BY id LIMIT 6");
  q.Bind(1, ref->uuid_prefix);
  std::vector<std::pair<int64_t, std::string>> found;
  while (q.Next()) found.emplace_back(q.Int(0), q.Text(1));
  if (!q.status().ok()) return q.status();
  if (found.size() == 1) return found[0].first;
  if (found.empty()) return Status::Error("no run '" + text + "' (see 'perfkit runs')");
  std::string candidates;
  for (size_t i = 0; i < found.size() && i < 5; ++i) {
    candidates += (i ? ", " : "") + std::to_string(found[i].first) + " (" +
                  found[i].second.substr(0, 8) + ")";
  }
  return Status::InvalidArgument("run '" + text + "' is ambiguous: runs " + candidates +
                                 (found.size() > 5 ? ", ..." : "") + "; give more of the uuid");
}

Status Store::LoadBenchmarks(RunRecord& run) {
  Statement b(*db_,
              "SELECT id, name, suite, role, threads, time_unit, label, error "
              "FROM benchmarks WHERE run_id = ? ORDER BY id");
  b.Bind(1, run.id);
  std::vector<int64_t> ids;
  while (b.Next()) {
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
    Statement s(*db_,
                "SELECT repetition_index, iterations, real_time_ns, cpu_time_ns, "
                "counters_json FROM samples WHERE benchmark_id = ? ORDER BY repetition_index");
    s.Bind(1, ids[i]);
    while (s.Next()) {
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
  Statement q(*db_, RunColumns(schema_version_) + "WHERE r.id = ?");
  q.Bind(1, *id);
  if (!q.Next()) return q.Missing("reading run");
  RunRecord run = ReadRunRow(q).run;
  Statement tags(*db_, "SELECT key, value FROM run_tags WHERE run_id = ? ORDER BY key");
  tags.Bind(1, run.id);
  while (tags.Next()) run.tags[tags.Text(0)] = tags.Text(1);
  Statement raw(*db_, "SELECT json FROM raw_imports WHERE run_id = ?");
  raw.Bind(1, run.id);
  if (raw.Next()) run.raw_json = raw.Text(0);
  if (Status s = LoadBenchmarks(run); !s.ok()) return s;
  if (Status s = LoadClaims(run); !s.ok()) return s;
  return run;
}

Status Store::LoadClaims(RunRecord& run) {
  if (schema_version_ < 6) return OkStatus();  // a store from before claims were kept
  Statement q(*db_,
              "SELECT claim_id, suite, text, value, unit, target, status, reason, benchmarks "
              "FROM claims WHERE run_id = ? ORDER BY position");
  q.Bind(1, run.id);
  while (q.Next()) {
    ClaimResult c;
    c.id = q.Text(0);
    c.suite = q.Text(1);
    c.text = q.Text(2);
    c.value = q.Double(3);
    c.has_value = !std::isnan(c.value);
    if (!c.has_value) c.value = 0;
    c.unit = q.Text(4);
    c.target = q.Text(5);
    c.status = ParseClaimStatus(q.Text(6));
    c.reason = q.Text(7);
    const std::string benchmarks = q.Text(8);
    for (size_t start = 0, end; start < benchmarks.size(); start = end + 1) {
      end = benchmarks.find('\n', start);
      if (end == std::string::npos) end = benchmarks.size();
      c.benchmarks.push_back(benchmarks.substr(start, end - start));
    }
    run.claims.push_back(std::move(c));
  }
  return q.status().ok() ? OkStatus() : q.status().WithPrefix("reading claims: ");
}

Result<std::vector<RunListing>> Store::ListRuns(int limit, const std::string& host) {
  if (schema_version_ == 0)
    return std::vector<RunListing>();  // an empty database, opened read-only
  // A hostname is only recorded from schema 4 on; a fingerprint always.
  const std::string by_host =
      host.empty()           ? ""
      : schema_version_ >= 4 ? "WHERE r.host_id IN (SELECT id FROM hosts WHERE fingerprint = ?1 OR "
                               "(length(?1) >= 4 AND substr(fingerprint, 1, length(?1)) = ?1)) OR "
                               "r.owner_hostname = ?1 "
                             : "WHERE r.host_id IN (SELECT id FROM hosts WHERE fingerprint = ?1 OR "
                               "(length(?1) >= 4 AND substr(fingerprint, 1, length(?1)) = ?1)) ";
  Statement q(*db_, RunColumns(schema_version_) + by_host + "ORDER BY r.id DESC LIMIT ?2");
  q.Bind(1, host);
  q.Bind(2, static_cast<int64_t>(limit));
  std::vector<RunListing> out;
  while (q.Next()) out.push_back(ReadRunRow(q));
  if (!q.status().ok()) return q.status().WithPrefix("listing runs: ");
  for (RunListing& l : out) {
    Statement tags(*db_, "SELECT key, value FROM run_tags WHERE run_id = ? ORDER BY key");
    tags.Bind(1, l.run.id);
    while (tags.Next()) l.run.tags[tags.Text(0)] = tags.Text(1);
    if (schema_version_ < 6) continue;
    Statement claims(*db_, "SELECT status, COUNT(*) FROM claims WHERE run_id = ? GROUP BY status");
    claims.Bind(1, l.run.id);
    while (claims.Next()) l.claims[ParseClaimStatus(claims.Text(0))] = claims.Int(1);
  }
  return out;
}

Result<std::set<std::string>> Store::RunUuids() {
  std::set<std::string> out;
  if (schema_version_ == 0) return out;
  Statement q(*db_, "SELECT uuid FROM runs");
  while (q.Next()) out.insert(q.Text(0));
  if (!q.status().ok()) return q.status().WithPrefix("listing runs: ");
  return out;
}

Result<std::vector<HostListing>> Store::ListHosts() {
  if (schema_version_ == 0) return std::vector<HostListing>();
  const std::string name = schema_version_ >= 4
                               ? "(SELECT owner_hostname FROM runs n WHERE n.host_id = h.id AND "
                                 "n.owner_hostname != '' ORDER BY n.id DESC LIMIT 1)"
                               : "''";
  Statement q(*db_, ("SELECT h.fingerprint, coalesce(" + name +
                     ", ''), h.cpu_model, h.kernel, "
                     "(SELECT COUNT(*) FROM runs r WHERE r.host_id = h.id), "
                     "coalesce((SELECT max(started_at) FROM runs r WHERE r.host_id = h.id), '') "
                     "FROM hosts h ORDER BY 6 DESC, h.id DESC"));
  std::vector<HostListing> out;
  while (q.Next()) {
    out.push_back({q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Int(4), q.Text(5)});
  }
  if (!q.status().ok()) return q.status().WithPrefix("listing hosts: ");
  return out;
}

}  // namespace perfkit::store
