// Where a store lives: a SQLite file path, or a PostgreSQL URI
// (postgresql://user@host/db, postgres://...). A password in a URI is
// never shown, logged or stored.
#pragma once

#include <string>

namespace perfkit::store {

bool IsPostgresUri(const std::string& location);

// The text with any PostgreSQL URI in it stripped of its password (both
// user:password@ and ?password=); anything else unchanged.
std::string RedactPassword(const std::string& text);

}  // namespace perfkit::store
