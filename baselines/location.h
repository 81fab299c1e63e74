// Where a store lives: a SQLite file path, or a PostgreSQL URI
// (postgresql://user@host/db, postgres://...). A password in a URI is
// never shown, logged, stored or put on a child's command line.
#pragma once

#include <string>
#include <vector>

namespace perfkit::store {

bool IsPostgresUri(const std::string& location);

// A PostgreSQL URI read as libpq reads it (PQconninfoParse): a form to show
// without any password, however it was written (user:password@, ?password=,
// a percent-encoded or mistyped key, spaces), and the passwords themselves.
struct ParsedUri {
  std::string shown;
  std::vector<std::string> passwords;
};
ParsedUri ParsePostgresUri(const std::string& uri);

// The location as it may be shown: a URI without its passwords (which are
// remembered, so RedactPassword masks them wherever else they appear); any
// other location unchanged.
std::string ShownLocation(const std::string& location);

// Free text (an error, a command line): every URI in it shown without its
// passwords, and every password ShownLocation has seen masked.
std::string RedactPassword(const std::string& text);
// One command-line argument: a URI in it runs to the argument's end, blanks
// and all (`--db=postgresql://u:a b@/db`).
std::string RedactArgument(const std::string& arg);

}  // namespace perfkit::store
