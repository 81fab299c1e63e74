// Opening the database and its schema. The schema version lives in
// PRAGMA user_version; each migration moves it forward by one.
#include <sys/stat.h>

#include <cstring>
#include <fstream>

#include "baselines/sqlite_util.h"
#include "baselines/store.h"

namespace perfkit::store {
namespace {

using internal::Error;

// Append only: a released migration never changes.
const char* const kMigrations[] = {
    // 1: runs, hosts, benchmarks, one row per repetition, imported JSON.
    R"sql(
CREATE TABLE hosts(
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  cpu_model TEXT NOT NULL,
  kernel TEXT NOT NULL,
  context_json TEXT NOT NULL);
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  started_at TEXT NOT NULL,
  ended_at TEXT NOT NULL DEFAULT '',
  command_line TEXT NOT NULL,
  perfkit_version TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  source TEXT NOT NULL CHECK(source IN ('perfkit', 'exec', 'import')),
  status TEXT NOT NULL CHECK(status IN ('running', 'complete', 'interrupted')),
  host_id INTEGER NOT NULL REFERENCES hosts(id),
  context_json TEXT NOT NULL);
CREATE TABLE run_tags(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(run_id, key));
CREATE TABLE benchmarks(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  suite TEXT NOT NULL,
  role TEXT NOT NULL,
  threads INTEGER NOT NULL,
  time_unit TEXT NOT NULL,
  label TEXT NOT NULL,
  error TEXT NOT NULL,
  UNIQUE(run_id, name));
CREATE TABLE samples(
  benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id) ON DELETE CASCADE,
  repetition_index INTEGER NOT NULL,
  iterations INTEGER NOT NULL,
  real_time_ns REAL,
  cpu_time_ns REAL,
  counters_json TEXT NOT NULL,
  PRIMARY KEY(benchmark_id, repetition_index));
CREATE TABLE raw_imports(
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  json TEXT NOT NULL);
)sql",
    // 2: named baselines (each save appends, so a name keeps its history) and
    // the A/A noise floor per host, benchmark and metric.
    R"sql(
CREATE TABLE baselines(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL);
CREATE TABLE baseline_runs(
  id INTEGER PRIMARY KEY,
  baseline_id INTEGER NOT NULL REFERENCES baselines(id) ON DELETE CASCADE,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  saved_at TEXT NOT NULL);
CREATE TABLE noise_floors(
  host_fingerprint TEXT NOT NULL,
  benchmark TEXT NOT NULL,
  metric TEXT NOT NULL,
  noise REAL NOT NULL,
  runs INTEGER NOT NULL,
  measured_at TEXT NOT NULL,
  PRIMARY KEY(host_fingerprint, benchmark, metric));
)sql",
    // 3: sampling profiles of runs (`perfkit profile --suite`), one row per
    // distinct stack, frames joined by ';' as in folded stacks.
    R"sql(
CREATE TABLE profiles(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  event TEXT NOT NULL,
  call_graph TEXT NOT NULL,
  samples INTEGER NOT NULL,
  lost INTEGER NOT NULL,
  complete INTEGER NOT NULL);
CREATE TABLE profile_stacks(
  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
  stack TEXT NOT NULL,
  count INTEGER NOT NULL);
CREATE INDEX profiles_by_run ON profiles(run_id);
)sql",
};

constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

// Refuses anything that exists but is not a SQLite file, before SQLite
// could create a journal next to it or write a header into it.
Status CheckExistingFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return OkStatus();  // will be created
  if (!S_ISREG(st.st_mode)) return Status::Error("'" + path + "' is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read database '" + path + "'");
  if (st.st_size == 0) return OkStatus();
  char header[16] = {};
  in.read(header, sizeof(header));
  if (in.gcount() != sizeof(header) || std::memcmp(header, "SQLite format 3", 16) != 0) {
    return Status::Error("'" + path + "' is not a SQLite database (left untouched)");
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  if (path != ":memory:") {
    Status s = CheckExistingFile(path);
    if (!s.ok()) return s;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status s = Status::Error("cannot open database '" + path +
                             "': " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<Store> store(new Store(db));
  sqlite3_busy_timeout(db, 5000);
  Status s = store->Exec("PRAGMA foreign_keys = ON");
  if (s.ok() && path != ":memory:") s = store->Exec("PRAGMA journal_mode = WAL");
  if (s.ok()) s = store->Exec("PRAGMA synchronous = NORMAL");
  if (s.ok()) s = store->Migrate();
  if (!s.ok()) return Status::Error("database '" + path + "': " + s.message());
  return store;
}

Store::~Store() { sqlite3_close(db_); }

Status Store::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Status::Error(message);
  }
  return OkStatus();
}

Status Store::Migrate() {
  internal::Statement q(db_, "PRAGMA user_version");
  if (q.Step() != SQLITE_ROW) return Error(db_, "reading schema version");
  const int version = static_cast<int>(q.Int(0));
  if (version > kSchemaVersion) {
    return Status::Error("schema version " + std::to_string(version) +
                         " is newer than this perfkit understands (" +
                         std::to_string(kSchemaVersion) + ")");
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    internal::Transaction tx(db_);
    if (!tx.status().ok()) return tx.status();
    Status s = Exec(kMigrations[v]);
    if (s.ok()) s = Exec("PRAGMA user_version = " + std::to_string(v + 1));
    if (s.ok()) s = tx.Commit();
    if (!s.ok())
      return Status::Error("migrating to schema " + std::to_string(v + 1) + ": " + s.message());
  }
  return OkStatus();
}

Result<std::string> Store::IntegrityCheck() {
  internal::Statement q(db_, "PRAGMA integrity_check");
  if (q.Step() != SQLITE_ROW) return Error(db_, "integrity_check");
  return q.Text(0);
}

}  // namespace perfkit::store
