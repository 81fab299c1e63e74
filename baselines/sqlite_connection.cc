#include "baselines/sqlite_connection.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

namespace perfkit::store::internal {
namespace {

// A full disk or a failing one is about the file, not the statement: the
// message names the database so the user knows which disk to free.
std::string Where(sqlite3* db) {
  const int code = sqlite3_errcode(db) & 0xff;
  const char* file = sqlite3_db_filename(db, "main");
  if ((code != SQLITE_FULL && code != SQLITE_IOERR) || file == nullptr || *file == '\0') return "";
  return std::string(" (database '") + file + "')";
}

Status Error(sqlite3* db, const std::string& what) {
  return Status::Error(what + ": " + sqlite3_errmsg(db) + Where(db));
}

class SqliteQuery : public sql::Query {
 public:
  SqliteQuery(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      status_ = Error(db, "preparing a statement");
      stmt_ = nullptr;
    }
  }
  ~SqliteQuery() override { sqlite3_finalize(stmt_); }

  void Bind(int index, int64_t value) override { sqlite3_bind_int64(stmt_, index, value); }
  void Bind(int index, double value) override {
    if (std::isnan(value)) {
      sqlite3_bind_null(stmt_, index);
    } else {
      sqlite3_bind_double(stmt_, index, value);
    }
  }
  void Bind(int index, const std::string& value) override {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  bool Next() override {
    if (stmt_ == nullptr || done_) return false;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    done_ = true;
    if (rc != SQLITE_DONE) status_ = Error(db_, "database");
    return false;
  }
  Status status() const override { return status_; }
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const override {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return sqlite3_column_double(stmt_, col);
  }
  std::string Text(int col) const override {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
  bool done_ = false;
};

class SqliteConnection : public sql::Connection {
 public:
  SqliteConnection(sqlite3* db, bool memory) : db_(db), memory_(memory) {}
  ~SqliteConnection() override { sqlite3_close(db_); }

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  std::unique_ptr<sql::Query> Prepare(const std::string& sql) override {
    return std::make_unique<SqliteQuery>(db_, sql);
  }
  Status Exec(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = std::string(err ? err : sqlite3_errmsg(db_)) + Where(db_);
      sqlite3_free(err);
      return Status::Error(message);
    }
    return OkStatus();
  }
  Status Begin() override {
    Status s = Exec("BEGIN IMMEDIATE");
    return s.ok() ? s : s.WithPrefix("starting a transaction: ");
  }

  Result<int64_t> SchemaVersion() override {
    sql::Statement q(*this, "PRAGMA user_version");
    if (!q.Next()) return q.Missing("reading the schema version");
    return q.Int(0);
  }
  Result<bool> HasForeignTables() override {
    sql::Statement q(*this, "SELECT COUNT(*) FROM sqlite_master");
    if (!q.Next()) return q.Missing("listing tables");
    return q.Int(0) > 0;
  }
  // The migration's BEGIN IMMEDIATE takes the write lock.
  Status LockSchema() override { return OkStatus(); }
  void UnlockSchema() override {}
  Status SetSchemaVersion(int version) override {
    return Exec("PRAGMA user_version = " + std::to_string(version));
  }
  std::string Translate(const std::string& migration) const override { return migration; }
  Result<std::string> IntegrityCheck() override {
    sql::Statement q(*this, "PRAGMA integrity_check");
    if (!q.Next()) return q.Missing("integrity_check");
    return q.Text(0);
  }

  Status PrepareForWriting() override;
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_;
  bool memory_;
};

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
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 10000);
    return db;
  }
  Status s = Status::Error("cannot open database '" + path +
                           "': " + (db ? sqlite3_errmsg(db) : "out of memory"));
  sqlite3_close(db);
  return s;
}

// A WAL database whose -shm file cannot be made fails its first read with
// SQLITE_CANTOPEN or SQLITE_READONLY.
bool Readable(sqlite3* db) {
  sqlite3_stmt* probe = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &probe, nullptr) != SQLITE_OK) {
    return true;
  }
  const int rc = sqlite3_step(probe);
  sqlite3_finalize(probe);
  return rc != SQLITE_CANTOPEN && rc != SQLITE_READONLY;
}

// Switching to WAL needs the database to itself for a moment; with many
// processes opening a new database at once, wait for that moment.
Status UseWal(SqliteConnection& db) {
  Status s;
  for (int attempt = 0; attempt < 200; ++attempt) {
    s = db.Exec("PRAGMA journal_mode = WAL");
    if (s.ok() || sqlite3_errcode(db.handle()) != SQLITE_BUSY) return s;
    usleep(50000);
  }
  return s;
}

Status SqliteConnection::PrepareForWriting() {
  if (!memory_) {
    if (Status s = UseWal(*this); !s.ok()) return s;
  }
  return Exec("PRAGMA synchronous = NORMAL");
}

}  // namespace

Result<std::unique_ptr<sql::Connection>> OpenSqlite(const std::string& path, OpenMode mode) {
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
  auto connection = std::make_unique<SqliteConnection>(*db, memory);
  if (Status s = connection->Exec("PRAGMA foreign_keys = ON"); !s.ok()) return s;
  return std::unique_ptr<sql::Connection>(std::move(connection));
}

}  // namespace perfkit::store::internal
