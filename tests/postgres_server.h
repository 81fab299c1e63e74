// A real, throwaway PostgreSQL server for the store's tests: initdb into a
// temporary directory, listening on a Unix socket there only (no TCP port),
// run as an unprivileged user when the tests run as root, and stopped by its
// PID when the test program ends.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace perfkit::testing {

class PostgresServer {
 public:
  // The test program's server, started on first use; nullptr with the
  // reason in *why when it cannot be (no server binaries, or they failed).
  static PostgresServer* Shared(std::string* why);

  // A new, empty database on it, as a URI perfkit takes.
  std::string NewDatabase();
  // The database a URI of NewDatabase names.
  static std::string DatabaseOf(const std::string& uri);
  // SQL run by psql as the superuser; its output, or "" after a failure
  // reported to the test.
  std::string Psql(const std::string& database, const std::string& sql);
  // The URI of `database` with a user and password of its own (which must
  // not appear anywhere perfkit writes).
  std::string UriWithPassword(const std::string& database, const std::string& password);

  // Stop (by the PID in postmaster.pid) and start again, as a restart.
  // `immediate`: as `pg_ctl stop -m immediate`, a crash for the sessions:
  // nothing is flushed and the next start recovers.
  bool Stop(bool immediate = false);
  bool Start();
  const std::string& socket_dir() const { return dir_; }

  ~PostgresServer();

 private:
  PostgresServer() = default;
  bool Init(std::string* why);
  std::vector<std::string> AsServerUser(std::vector<std::string> argv) const;
  std::string Uri(const std::string& database) const;

  std::string bindir_;
  std::string dir_;
  std::string run_as_;  // "" or the unprivileged user the server runs as
  pid_t owner_ = 0;     // the test process that started it
  bool running_ = false;
  int databases_ = 0;
};

// Fails the test (in place of skipping it) when PERFKIT_REQUIRE_POSTGRES is
// set, as the README's test command does.
bool PostgresRequired();

}  // namespace perfkit::testing
