// The embedded store: a SQLite file (or ":memory:").
#pragma once

#include <memory>
#include <string>

#include "baselines/sql.h"
#include "baselines/store.h"

namespace perfkit::store::internal {

// Refuses, without touching it, anything there that is not a SQLite file;
// read-only, a missing file is an error. Writable databases use WAL.
Result<std::unique_ptr<sql::Connection>> OpenSqlite(const std::string& path, OpenMode mode);

}  // namespace perfkit::store::internal
