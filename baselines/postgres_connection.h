// A shared store on a PostgreSQL server, through libpq (loaded on first
// use). The URI is libpq's, so PG* environment variables and service files
// fill in what it leaves out.
#pragma once

#include <memory>
#include <string>

#include "baselines/sql.h"
#include "baselines/store.h"

namespace perfkit::store::internal {

Result<std::unique_ptr<sql::Connection>> OpenPostgres(const std::string& uri, OpenMode mode);

// '?' and '?N' placeholders as PostgreSQL's '$N', outside quoted text.
std::string ToDollarPlaceholders(const std::string& sql, int* parameters);
// A migration in SQLite's types in PostgreSQL's: 64-bit integers, doubles
// (PostgreSQL's REAL is 32 bits), identity columns for ids.
std::string ToPostgresTypes(const std::string& migration);

}  // namespace perfkit::store::internal
