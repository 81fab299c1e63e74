// A thin RAII layer over sqlite3 statements for the store's own use.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "subsystems/base/status.h"

namespace perfkit::store::internal {

class Statement {
 public:
  Statement(sqlite3* db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, const std::string& value);
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step();
  Status Run();  // Step to SQLITE_DONE
  void Reset() { sqlite3_reset(stmt_); }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const;     // NULL reads as NaN (SQLite stores NaN as NULL)
  std::string Text(int col) const;  // all of it, NUL bytes included

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

Status Error(sqlite3* db, const std::string& what);

// Commits on Commit(); rolls back if destroyed before.
class Transaction {
 public:
  explicit Transaction(sqlite3* db);
  ~Transaction();
  Status status() const { return begun_; }
  Status Commit();

 private:
  sqlite3* db_;
  Status begun_;
  bool done_ = false;
};

}  // namespace perfkit::store::internal
