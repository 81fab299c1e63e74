// The store's tests run against both implementations: a SQLite file and a
// database on a throwaway PostgreSQL server (tests/postgres_server.h).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/postgres_server.h"
#include "tests/test_util.h"

namespace perfkit::store {

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

// A fixture with a fresh, empty database of its backend per test.
class StoreBackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  bool postgres() const { return GetParam() == Backend::kPostgres; }
  // Another fresh database.
  std::string NewLocation();
  // Raw SQL behind perfkit's back.
  void Sql(const std::string& location, const std::string& sql);
  void SetSchemaVersion(const std::string& location, int version);
  // What is in the database, to check it was left untouched.
  std::string Snapshot(const std::string& location);

  std::string location_;
  perfkit::testing::PostgresServer* server_ = nullptr;

 private:
  std::unique_ptr<perfkit::testing::TempDir> dir_;
  int files_ = 0;
};

}  // namespace perfkit::store
