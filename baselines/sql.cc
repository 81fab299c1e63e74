#include "baselines/sql.h"

namespace perfkit::store::sql {

Status Statement::Run() {
  while (Next()) {
  }
  return status();
}

Status Statement::Missing(const std::string& what) const {
  if (!status().ok()) return status().WithPrefix(what + ": ");
  return Status::Error(what + ": not found");
}

Transaction::Transaction(Connection& db) : db_(db) {
  begun_ = db.Begin();
  done_ = !begun_.ok();
}

Transaction::~Transaction() {
  if (!done_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  done_ = true;
  if (Status s = db_.Exec("COMMIT"); !s.ok()) {
    (void)db_.Exec("ROLLBACK");
    return s.WithPrefix("committing: ");
  }
  return OkStatus();
}

}  // namespace perfkit::store::sql
