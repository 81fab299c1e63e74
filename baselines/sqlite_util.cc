#include "baselines/sqlite_util.h"

#include <cmath>
#include <limits>

namespace perfkit::store::internal {

Status Error(sqlite3* db, const std::string& what) {
  return Status::Error(what + ": " + sqlite3_errmsg(db));
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  if (std::isnan(value)) {
    sqlite3_bind_null(stmt_, index);
  } else {
    sqlite3_bind_double(stmt_, index, value);
  }
  return *this;
}

Statement& Statement::Bind(int index, const std::string& value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

int Statement::Step() { return stmt_ ? sqlite3_step(stmt_) : SQLITE_ERROR; }

Status Statement::Run() {
  if (!stmt_) return Error(db_, "preparing statement");
  const int rc = Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(db_, "writing to the database");
  return OkStatus();
}

double Statement::Double(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return sqlite3_column_double(stmt_, col);
}

std::string Statement::Text(int col) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : "";
}

Transaction::Transaction(sqlite3* db) : db_(db) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    begun_ = Error(db, "starting a transaction");
    done_ = true;
  }
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Commit() {
  done_ = true;
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Status s = Error(db_, "committing");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return OkStatus();
}

}  // namespace perfkit::store::internal
