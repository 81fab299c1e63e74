// Where a store lives: a SQLite file path, or a PostgreSQL URI
// (postgresql://user@host/db, postgres://...). A password in a URI is
// never shown, logged, stored or put on a child's command line.
#pragma once

#include <string>
#include <vector>

namespace perfkit::store {

bool IsPostgresUri(const std::string& location);

// A store's location as perfkit carries it once --db, $PERFKIT_DB and the
// default have been weighed (app::ResolveStore): what it is and how it may be
// shown. The full form, credentials and all, is read only to connect and to
// hand a child perfkit its store through the environment.
class StoreLocation {
 public:
  enum class Kind { kSqlite, kPostgres };

  StoreLocation() = default;  // empty: opening it is refused
  // Exactly this location, a path or a URI (no default, no environment).
  // Explicit, so that a --db flag cannot become a location without passing
  // through app::ResolveStore.
  explicit StoreLocation(std::string location);

  Kind kind() const { return kind_; }
  bool postgres() const { return kind_ == Kind::kPostgres; }
  bool empty() const { return full_.empty(); }
  // Without any password: for messages, progress lines and stored text.
  const std::string& shown() const { return shown_; }
  // With credentials: for connecting and a child's environment, never for
  // a command line or output.
  const std::string& full() const { return full_; }
  // Whether there may be runs there: a file that exists, or any server
  // (only connecting tells).
  bool MayHoldRuns() const;

  friend bool operator==(const StoreLocation& a, const StoreLocation& b) {
    return a.full_ == b.full_;
  }

 private:
  std::string full_;
  std::string shown_;
  Kind kind_ = Kind::kSqlite;
};

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
