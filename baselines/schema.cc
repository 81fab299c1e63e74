// Opening the database and its schema. The schema version lives in SQLite's
// PRAGMA user_version, or in PostgreSQL's perfkit_schema table; each
// migration moves it forward by one. The migrations are written once, in
// SQLite's types, and translated for PostgreSQL.
#include "baselines/location.h"
#include "baselines/postgres_connection.h"
#include "baselines/sql.h"
#include "baselines/sqlite_connection.h"
#include "baselines/store.h"

namespace perfkit::store {
namespace {

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
    // 6: the suites' claims checked against each run: the line bench prints,
    // the figure (NULL when the claim asks for none), its unit, the target,
    // the status, the benchmarks behind it (one per line) and its place in
    // the order the suites check them.
    R"sql(
CREATE TABLE claims(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  claim_id TEXT NOT NULL,
  suite TEXT NOT NULL,
  text TEXT NOT NULL,
  value REAL,
  unit TEXT NOT NULL,
  target TEXT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('met', 'not met', 'measured', 'not measurable')),
  reason TEXT NOT NULL,
  benchmarks TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY(run_id, claim_id));
)sql",
    // 7: what `perfkit tune` chose per host (one row each, the newest), and
    // the run that holds its measurements.
    R"sql(
CREATE TABLE tunings(
  host_fingerprint TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  crc32 TEXT NOT NULL,
  crc32c TEXT NOT NULL,
  copy_stream_from TEXT NOT NULL,
  set_stream_from TEXT NOT NULL);
)sql",
    // 8: where copies start to run `rep movsb`, measured by tune ('' in a
    // tuning from before: the default stands).
    R"sql(
ALTER TABLE tunings ADD COLUMN copy_rep_movsb_from TEXT NOT NULL DEFAULT '';
)sql",
    // 9: where sets start to run `rep stosb`, likewise.
    R"sql(
ALTER TABLE tunings ADD COLUMN set_rep_stosb_from TEXT NOT NULL DEFAULT '';
)sql",
};

constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

// The oldest schema a read-only store can read as it is.
constexpr int kOldestReadable = 3;

}  // namespace

Store::Store(std::unique_ptr<sql::Connection> db, OpenMode mode)
    : db_(std::move(db)), mode_(mode) {}

Store::~Store() = default;

bool Store::postgres() const { return db_->dialect() == sql::Dialect::kPostgres; }

Result<std::unique_ptr<Store>> Store::Open(const StoreLocation& location, OpenMode mode) {
  if (location.empty()) return Status::InvalidArgument("the database path is empty");
  const bool server = location.postgres();
  const std::string& shown = location.shown();
  auto db = server ? internal::OpenPostgres(location.full(), mode)
                   : internal::OpenSqlite(location.full(), mode);
  if (!db.ok()) return server ? db.status().WithPrefix("database '" + shown + "': ") : db.status();
  std::unique_ptr<Store> store(new Store(std::move(*db), mode));
  Status s = store->CheckIdentity(shown);
  if (s.ok() && mode == OpenMode::kReadWrite) {
    s = store->db_->PrepareForWriting();
    if (s.ok()) s = store->Migrate();
  }
  if (!s.ok()) return s.WithPrefix("database '" + shown + "': ");
  return store;
}

// Before anything is written: a schema version this perfkit knows, and no
// foreign tables in a database without one.
Status Store::CheckIdentity(const std::string& location) {
  auto version = db_->SchemaVersion();
  if (!version.ok()) return version.status();
  int64_t v = *version;
  if (v == 0) {
    auto foreign = db_->HasForeignTables();
    if (!foreign.ok()) return foreign.status();
    // Tables but no version: someone else's, unless another perfkit
    // finished migrating between the two reads.
    if (*foreign) {
      version = db_->SchemaVersion();
      if (!version.ok()) return version.status();
      v = *version;
      if (v == 0) {
        return Status::Error("'" + location + "' is a " + (postgres() ? "PostgreSQL" : "SQLite") +
                             " database but not perfkit's (it has tables and no perfkit "
                             "schema); left untouched");
      }
    }
  }
  if (v < 0 || v > kSchemaVersion) {
    return Status::Error(
        "schema version " + std::to_string(v) + " is not one this perfkit knows (" +
        (v < 0 ? "a negative version" : "newer than " + std::to_string(kSchemaVersion)) +
        "); left untouched");
  }
  schema_version_ = static_cast<int>(v);
  if (mode_ == OpenMode::kReadOnly && v != 0 && v < kOldestReadable) {
    return Status::Error("written by an older perfkit (schema " + std::to_string(v) +
                         "); a command that writes (perfkit import, perfkit bench) migrates it");
  }
  return OkStatus();
}

// All migrations in one transaction, the version read again once it holds
// the schema lock: of several processes opening a new database at once, one
// migrates and the others find it done.
Status Store::Migrate() {
  if (schema_version_ == kSchemaVersion) return OkStatus();
  if (Status s = db_->LockSchema(); !s.ok()) return s.WithPrefix("locking the schema: ");
  Status s = MigrateLocked();
  db_->UnlockSchema();
  return s;
}

Status Store::MigrateLocked() {
  sql::Transaction tx(*db_);
  if (!tx.status().ok()) return tx.status();
  auto version = db_->SchemaVersion();
  if (!version.ok()) return version.status();
  for (int64_t v = *version; v < kSchemaVersion; ++v) {
    if (Status s = db_->Exec(db_->Translate(kMigrations[v])); !s.ok()) {
      return Status::Error("migrating to schema " + std::to_string(v + 1) + ": " + s.message());
    }
  }
  if (Status s = db_->SetSchemaVersion(kSchemaVersion); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  schema_version_ = kSchemaVersion;
  return OkStatus();
}

Status Store::InTransaction(const std::function<Status()>& body,
                            const std::function<Result<bool>()>& landed) {
  Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {
    {
      sql::Transaction tx(*db_);
      s = tx.status();
      if (s.ok()) s = body();
      if (s.ok()) s = tx.Commit();
    }
    if (s.ok() || !db_->Lost()) return s;
    if (Status back = db_->Reconnect(); !back.ok()) return back;
    if (landed) {
      auto done = landed();
      if (!done.ok()) return done.status();
      if (*done) return OkStatus();
    }
  }
  return s;
}

Result<std::string> Store::IntegrityCheck() { return db_->IntegrityCheck(); }

}  // namespace perfkit::store
