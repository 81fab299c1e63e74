// Opening the database and its schema. The schema version lives in
// PRAGMA user_version; each migration moves it forward by one.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <fstream>

#include "baselines/sqlite_util.h"
#include "baselines/store.h"

namespace perfkit::store {
namespace {

using internal::Error;
using internal::Statement;

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
    // 4: who is measuring a run, so one whose process died reads back as
    // abandoned rather than running.
    R"sql(
ALTER TABLE runs ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN owner_start_time TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner_boot_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner_hostname TEXT NOT NULL DEFAULT '';
)sql",
    // 5: power: fitted or imported model profiles per host (the newest is
    // the one in use), and power samples over time from `power record`
    // and `bench --energy`.
    R"sql(
CREATE TABLE power_profiles(
  id INTEGER PRIMARY KEY,
  host_fingerprint TEXT NOT NULL,
  created_at TEXT NOT NULL,
  source TEXT NOT NULL,
  p_idle_w REAL NOT NULL,
  c_cpu_w_per_util REAL NOT NULL,
  c_mem_w_per_gbps REAL NOT NULL,
  validated INTEGER NOT NULL,
  provenance_json TEXT NOT NULL);
CREATE TABLE power_samples(
  id INTEGER PRIMARY KEY,
  unix_time REAL NOT NULL,
  watts REAL NOT NULL,
  measured INTEGER NOT NULL,
  u REAL NOT NULL,
  origin TEXT NOT NULL,
  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL);
CREATE INDEX power_samples_by_time ON power_samples(unix_time);
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

// The oldest schema a read-only store can read as it is.
constexpr int kOldestReadable = 3;

// SQLite's URI form of a path, for opening with parameters.
std::string FileUri(const std::string& path, const char* query) {
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || std::strchr("/-._~", c) != nullptr) {
      uri += static_cast<char>(c);
    } else {
      uri += fmt::format("%{:02X}", c);
    }
  }
  return uri + "?" + query;
}

Result<sqlite3*> OpenHandle(const std::string& path, OpenMode mode) {
  sqlite3* db = nullptr;
  int rc = SQLITE_OK;
  if (mode == OpenMode::kReadWrite) {
    rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  } else {
    rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  }
  if (rc == SQLITE_OK) return db;
  Status s = Status::Error("cannot open database '" + path +
                           "': " + (db ? sqlite3_errmsg(db) : "out of memory"));
  sqlite3_close(db);
  return s;
}

// A WAL database whose -shm file cannot be made fails its first read with
// SQLITE_CANTOPEN or SQLITE_READONLY.
bool Readable(sqlite3* db) {
  Statement probe(db, "PRAGMA user_version");
  const int rc = probe.Step();
  return rc != SQLITE_CANTOPEN && rc != SQLITE_READONLY;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, OpenMode mode) {
  if (path.empty()) return Status::InvalidArgument("the database path is empty");
  const bool memory = path == ":memory:";
  if (!memory) {
    if (Status s = CheckExistingFile(path); !s.ok()) return s;
    struct stat st {};
    if (mode == OpenMode::kReadOnly && stat(path.c_str(), &st) != 0) {
      return Status::Error("no database '" + path +
                           "' (run 'perfkit bench' or 'perfkit import' "
                           "to make one)");
    }
  }
  auto db = OpenHandle(path, mode);
  if (!db.ok()) return db.status();
  if (mode == OpenMode::kReadOnly && !memory && !Readable(*db)) {
    // A WAL database in a directory we may not write needs a -shm file we
    // cannot make; read it as immutable: nobody can be writing it there.
    sqlite3_close(*db);
    db = OpenHandle(FileUri(path, "immutable=1"), mode);
    if (!db.ok()) return db.status();
  }
  std::unique_ptr<Store> store(new Store(*db, mode));
  sqlite3_busy_timeout(*db, 10000);
  Status s = store->CheckIdentity(path);
  if (s.ok()) s = store->Exec("PRAGMA foreign_keys = ON");
  if (s.ok() && mode == OpenMode::kReadWrite) {
    if (!memory) s = store->UseWal();
    if (s.ok()) s = store->Exec("PRAGMA synchronous = NORMAL");
    if (s.ok()) s = store->Migrate();
  }
  if (!s.ok()) return s.WithPrefix("database '" + path + "': ");
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

// Before anything is written: a schema version this perfkit knows, and no
// foreign tables in a database without one.
Status Store::CheckIdentity(const std::string& path) {
  Statement version(db_, "PRAGMA user_version");
  if (version.Step() != SQLITE_ROW) return Error(db_, "reading the schema version");
  const int64_t v = version.Int(0);
  if (v < 0 || v > kSchemaVersion) {
    return Status::Error(
        "schema version " + std::to_string(v) + " is not one this perfkit knows (" +
        (v < 0 ? "a negative version" : "newer than " + std::to_string(kSchemaVersion)) +
        "); left untouched");
  }
  schema_version_ = static_cast<int>(v);
  if (v == 0) {
    Statement tables(db_, "SELECT COUNT(*) FROM sqlite_master");
    if (tables.Step() == SQLITE_ROW && tables.Int(0) > 0) {
      return Status::Error("'" + path +
                           "' is a SQLite database but not perfkit's (it has tables "
                           "and no perfkit schema); left untouched");
    }
  }
  if (mode_ == OpenMode::kReadOnly && v != 0 && v < kOldestReadable) {
    return Status::Error("written by an older perfkit (schema " + std::to_string(v) +
                         "); a command that writes (perfkit import, perfkit bench) migrates it");
  }
  return OkStatus();
}

// Switching to WAL needs the database to itself for a moment; with many
// processes opening a new database at once, wait for that moment.
Status Store::UseWal() {
  Status s;
  for (int attempt = 0; attempt < 200; ++attempt) {
    s = Exec("PRAGMA journal_mode = WAL");
    if (s.ok() || sqlite3_errcode(db_) != SQLITE_BUSY) return s;
    usleep(50000);
  }
  return s;
}

// All migrations in one IMMEDIATE transaction, the version read again once
// it holds the write lock: of several processes opening a new database at
// once, one migrates and the others find it done.
Status Store::Migrate() {
  if (schema_version_ == kSchemaVersion) return OkStatus();
  internal::Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  Statement q(db_, "PRAGMA user_version");
  if (q.Step() != SQLITE_ROW) return Error(db_, "reading schema version");
  const int version = static_cast<int>(q.Int(0));
  q.Reset();
  for (int v = version; v < kSchemaVersion; ++v) {
    if (Status s = Exec(kMigrations[v]); !s.ok()) {
      return Status::Error("migrating to schema " + std::to_string(v + 1) + ": " + s.message());
    }
  }
  if (Status s = Exec("PRAGMA user_version = " + std::to_string(kSchemaVersion)); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  schema_version_ = kSchemaVersion;
  return OkStatus();
}

Result<std::string> Store::IntegrityCheck() {
  Statement q(db_, "PRAGMA integrity_check");
  if (q.Step() != SQLITE_ROW) return Error(db_, "integrity_check");
  return q.Text(0);
}

}  // namespace perfkit::store
