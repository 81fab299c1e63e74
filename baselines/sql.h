// The SQL the store speaks, behind one small interface with two
// implementations: SQLite (the embedded default) and PostgreSQL (a shared
// server, through libpq). Statements are written once with '?' or '?N'
// placeholders; each connection translates what its dialect needs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "subsystems/base/status.h"

namespace perfkit::store::sql {

enum class Dialect { kSqlite, kPostgres };

// One statement: bind, then step through its rows.
class Query {
 public:
  virtual ~Query() = default;
  // A NaN binds as NULL (SQLite keeps NaN as NULL; both read it back as NaN).
  virtual void Bind(int index, int64_t value) = 0;
  virtual void Bind(int index, double value) = 0;
  virtual void Bind(int index, const std::string& value) = 0;
  // True while there is a row; false when done or failed (see status()).
  virtual bool Next() = 0;
  virtual Status status() const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Double(int col) const = 0;     // NULL reads as NaN
  virtual std::string Text(int col) const = 0;  // all of it
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  virtual std::unique_ptr<Query> Prepare(const std::string& sql) = 0;
  // Statements without parameters, several separated by ';'.
  virtual Status Exec(const std::string& sql) = 0;
  // A write transaction: SQLite takes the write lock at once.
  virtual Status Begin() = 0;
  // Once the store has seen the database is perfkit's, before it writes
  // (SQLite switches to WAL, which changes the file).
  virtual Status PrepareForWriting() = 0;

  // The schema version (0 for a database without perfkit's schema), and
  // whether such a database holds tables of someone else's.
  virtual Result<int64_t> SchemaVersion() = 0;
  virtual Result<bool> HasForeignTables() = 0;
  // Around the migration's transaction: only one process migrates.
  virtual Status LockSchema() = 0;
  virtual void UnlockSchema() = 0;
  virtual Status SetSchemaVersion(int version) = 0;
  // A migration written in SQLite's types, in this dialect's.
  virtual std::string Translate(const std::string& migration) const = 0;

  virtual Result<std::string> IntegrityCheck() = 0;
  // A server that went away (restarted, network): true after a failure that
  // lost the connection; Reconnect tries again for a while.
  virtual bool Lost() const { return false; }
  virtual Status Reconnect() { return Status::Error("cannot reconnect"); }
};

// A Query by value, with chained binds.
class Statement {
 public:
  Statement(Connection& db, const std::string& sql) : q_(db.Prepare(sql)) {}
  Statement& Bind(int index, int64_t value) {
    q_->Bind(index, value);
    return *this;
  }
  Statement& Bind(int index, double value) {
    q_->Bind(index, value);
    return *this;
  }
  Statement& Bind(int index, const std::string& value) {
    q_->Bind(index, value);
    return *this;
  }
  bool Next() { return q_->Next(); }
  Status status() const { return q_->status(); }
  // Runs a statement that returns nothing (or ignores what it returns).
  Status Run();
  // For a row that must be there: the failure, or that there was none.
  Status Missing(const std::string& what) const;
  int64_t Int(int col) const { return q_->Int(col); }
  double Double(int col) const { return q_->Double(col); }
  std::string Text(int col) const { return q_->Text(col); }

 private:
  std::unique_ptr<Query> q_;
};

// Commits on Commit(); rolls back if destroyed before.
class Transaction {
 public:
  explicit Transaction(Connection& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status status() const { return begun_; }
  Status Commit();

 private:
  Connection& db_;
  Status begun_;
  bool done_ = false;
};

}  // namespace perfkit::store::sql
