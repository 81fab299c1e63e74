#include "tests/baselines/store_backends.h"

#include <sqlite3.h>

namespace perfkit::store {

using perfkit::testing::PostgresServer;

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

void StoreBackendTest::SetUp() {
  dir_ = std::make_unique<perfkit::testing::TempDir>();
  if (postgres()) {
    std::string why;
    server_ = PostgresServer::Shared(&why);
    if (server_ == nullptr) {
      if (perfkit::testing::PostgresRequired()) FAIL() << why;
      GTEST_SKIP() << why;
    }
  }
  location_ = NewLocation();
}

std::string StoreBackendTest::NewLocation() {
  if (postgres()) return server_->NewDatabase();
  return dir_->File("p" + std::to_string(++files_) + ".db");
}

void StoreBackendTest::Sql(const std::string& location, const std::string& sql) {
  if (postgres()) {
    server_->Psql(PostgresServer::DatabaseOf(location), sql);
    return;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(location.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  sqlite3_close(db);
}

void StoreBackendTest::SetSchemaVersion(const std::string& location, int version) {
  Sql(location, postgres() ? "UPDATE perfkit_schema SET version = " + std::to_string(version)
                           : "PRAGMA user_version = " + std::to_string(version));
}

std::string StoreBackendTest::Snapshot(const std::string& location) {
  if (!postgres()) return perfkit::testing::ReadFileOrDie(location);
  const std::string db = PostgresServer::DatabaseOf(location);
  std::string out = server_->Psql(db,
                                  "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM "
                                  "pg_tables WHERE schemaname = 'public'");
  if (out.find("perfkit_schema") != std::string::npos) {
    out += server_->Psql(db, "SELECT version FROM perfkit_schema");
  }
  if (out.find("runs") != std::string::npos) out += server_->Psql(db, "SELECT COUNT(*) FROM runs");
  return out;
}

}  // namespace perfkit::store
