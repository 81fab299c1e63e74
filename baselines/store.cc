// Writing runs.
#include "baselines/store.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "baselines/sql.h"
#include "results/result_json.h"

namespace perfkit::store {

using sql::Statement;

Result<int64_t> Store::UpsertHost(const HostContext& host) {
  Statement insert(*db_,
                   "INSERT INTO hosts(fingerprint, cpu_model, kernel, context_json) "
                   "VALUES(?, ?, ?, ?) ON CONFLICT(fingerprint) DO NOTHING");
  insert.Bind(1, host.fingerprint)
      .Bind(2, host.cpu_model)
      .Bind(3, host.kernel)
      .Bind(4, HostContextToJson(host).dump());
  if (Status s = insert.Run(); !s.ok()) return s;
  Statement q(*db_, "SELECT id FROM hosts WHERE fingerprint = ?");
  q.Bind(1, host.fingerprint);
  if (!q.Next()) return q.Missing("reading host");
  return q.Int(0);
}

Status Store::InsertRun(RunRecord& run) {
  auto host_id = UpsertHost(run.host);
  if (!host_id.ok()) return host_id.status();
  Statement insert(*db_,
                   "INSERT INTO runs(uuid, started_at, ended_at, command_line, "
                   "perfkit_version, git_commit, source, status, host_id, context_json, "
                   "owner_pid, owner_start_time, owner_boot_id, owner_hostname) "
                   "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  insert.Bind(1, run.uuid)
      .Bind(2, run.started_at)
      .Bind(3, run.ended_at)
      .Bind(4, run.command_line)
      .Bind(5, run.perfkit_version)
      .Bind(6, run.git_commit)
      .Bind(7, run.source)
      .Bind(8, std::string(RunStatusName(run.status)))
      .Bind(9, *host_id)
      .Bind(10, HostContextToJson(run.host).dump())
      .Bind(11, run.owner.pid)
      .Bind(12, run.owner.start_time)
      .Bind(13, run.owner.boot_id)
      .Bind(14, run.owner.hostname);
  if (!insert.Next()) return insert.Missing("writing the run");
  run.id = insert.Int(0);
  if (Status s = insert.Run(); !s.ok()) return s;
  for (const auto& [key, value] : run.tags) {
    Statement tag(*db_, "INSERT INTO run_tags(run_id, key, value) VALUES(?, ?, ?)");
    tag.Bind(1, run.id).Bind(2, key).Bind(3, value);
    if (Status s = tag.Run(); !s.ok()) return s;
  }
  if (!run.raw_json.empty()) {
    Statement raw(*db_, "INSERT INTO raw_imports(run_id, json) VALUES(?, ?)");
    raw.Bind(1, run.id).Bind(2, run.raw_json);
    if (Status s = raw.Run(); !s.ok()) return s;
  }
  return OkStatus();
}

Status Store::InsertResult(int64_t run_id, const BenchmarkResult& b) {
  Statement upsert(*db_,
                   "INSERT INTO benchmarks(run_id, name, suite, role, threads, time_unit, "
                   "label, error) VALUES(?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT(run_id, name) DO UPDATE SET error = CASE WHEN "
                   "excluded.error != '' THEN excluded.error ELSE benchmarks.error END, "
                   "label = CASE WHEN excluded.label != '' THEN excluded.label "
                   "ELSE benchmarks.label END RETURNING id");
  upsert.Bind(1, run_id)
      .Bind(2, b.name)
      .Bind(3, b.suite)
      .Bind(4, std::string(RoleName(b.role)))
      .Bind(5, b.threads)
      .Bind(6, b.time_unit)
      .Bind(7, b.label)
      .Bind(8, b.error);
  if (!upsert.Next()) return upsert.Missing("writing a benchmark");
  const int64_t benchmark_id = upsert.Int(0);
  if (Status s = upsert.Run(); !s.ok()) return s;
  for (const Sample& s : b.samples) {
    Statement insert(*db_,
                     "INSERT INTO samples(benchmark_id, repetition_index, iterations, "
                     "real_time_ns, cpu_time_ns, counters_json) VALUES(?, ?, ?, ?, ?, ?)");
    nlohmann::json counters = s.counters;
    insert.Bind(1, benchmark_id)
        .Bind(2, s.repetition_index)
        .Bind(3, s.iterations)
        .Bind(4, s.real_time_ns)
        .Bind(5, s.cpu_time_ns)
        .Bind(6, counters.dump());
    if (Status st = insert.Run(); !st.ok()) return st;
  }
  return OkStatus();
}

Status Store::InsertClaims(int64_t run_id, const std::vector<ClaimResult>& claims) {
  Statement clear(*db_, "DELETE FROM claims WHERE run_id = ?");
  clear.Bind(1, run_id);
  if (Status s = clear.Run(); !s.ok()) return s;
  int64_t position = 0;
  for (const ClaimResult& c : claims) {
    std::string benchmarks;
    for (const std::string& b : c.benchmarks) benchmarks += (benchmarks.empty() ? "" : "\n") + b;
    Statement insert(
        *db_,
        "INSERT INTO claims(run_id, claim_id, suite, text, value, unit, target, "
        "status, reason, benchmarks, position) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.Bind(1, run_id)
        .Bind(2, c.id)
        .Bind(3, c.suite)
        .Bind(4, c.text)
        .Bind(5, c.has_value ? c.value : std::nan(""))
        .Bind(6, c.unit)
        .Bind(7, c.target)
        .Bind(8, std::string(ClaimStatusName(c.status)))
        .Bind(9, c.reason)
        .Bind(10, benchmarks)
        .Bind(11, position++);
    if (Status s = insert.Run(); !s.ok()) return s;
  }
  return OkStatus();
}

Status Store::SaveClaims(int64_t run_id, const std::vector<ClaimResult>& claims) {
  return InTransaction([&] { return InsertClaims(run_id, claims); });
}

Status Store::BeginRun(RunRecord& run) {
  run.status = RunStatus::kRunning;
  return SaveRun(run);
}

Status Store::AddResult(int64_t run_id, const BenchmarkResult& result) {
  // Repetitions are added one at a time: the first one's key tells.
  auto landed = [&]() -> Result<bool> {
    if (result.samples.empty()) return false;  // the benchmark's upsert repeats harmlessly
    Statement q(*db_,
                "SELECT 1 FROM samples s JOIN benchmarks b ON b.id = s.benchmark_id "
                "WHERE b.run_id = ? AND b.name = ? AND s.repetition_index = ?");
    q.Bind(1, run_id).Bind(2, result.name).Bind(3, result.samples[0].repetition_index);
    const bool found = q.Next();
    if (Status s = q.status(); !s.ok()) return s;
    return found;
  };
  return InTransaction([&] { return InsertResult(run_id, result); }, landed);
}

Status Store::FinishRun(int64_t run_id, RunStatus status, const std::string& ended_at) {
  return InTransaction([&] {
    Statement update(*db_, "UPDATE runs SET status = ?, ended_at = ? WHERE id = ?");
    update.Bind(1, std::string(RunStatusName(status))).Bind(2, ended_at).Bind(3, run_id);
    return update.Run();
  });
}

Status Store::SaveRun(RunRecord& run, const std::vector<StoredProfile>& profiles) {
  // A run is saved whole or not at all, and its uuid is its own.
  auto landed = [&]() -> Result<bool> {
    Statement q(*db_, "SELECT id FROM runs WHERE uuid = ?");
    q.Bind(1, run.uuid);
    if (!q.Next()) return q.status().ok() ? Result<bool>(false) : Result<bool>(q.status());
    run.id = q.Int(0);
    return true;
  };
  return InTransaction(
      [&] {
        if (Status s = InsertRun(run); !s.ok()) return s;
        for (const BenchmarkResult& b : run.benchmarks) {
          if (Status s = InsertResult(run.id, b); !s.ok()) return s;
        }
        if (Status s = InsertClaims(run.id, run.claims); !s.ok()) return s;
        for (StoredProfile profile : profiles) {
          profile.run_id = run.id;
          if (Status s = InsertProfile(profile); !s.ok()) return s;
        }
        return OkStatus();
      },
      landed);
}

}  // namespace perfkit::store
