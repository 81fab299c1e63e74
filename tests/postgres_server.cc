#include "tests/postgres_server.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

// The newest of Debian's /usr/lib/postgresql/<version>/bin, or
// PERFKIT_PG_BINDIR.
std::string FindBindir() {
  if (const char* env = std::getenv("PERFKIT_PG_BINDIR"); env && *env) return env;
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = entry.path().string() + "/bin";
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && std::filesystem::exists(bin + "/initdb") &&
        std::filesystem::exists(bin + "/postgres")) {
      best = bin;
      best_version = version;
    }
  }
  return best;
}

pid_t PostmasterPid(const std::string& data) {
  std::ifstream in(data + "/postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

bool PostgresRequired() {
  const char* env = std::getenv("PERFKIT_REQUIRE_POSTGRES");
  return env != nullptr && *env != '\0' && std::string(env) != "0";
}

PostgresServer* PostgresServer::Shared(std::string* why) {
  static std::unique_ptr<PostgresServer> server;
  static std::string failure;
  static bool tried = false;
  if (!tried) {
    tried = true;
    auto s = std::unique_ptr<PostgresServer>(new PostgresServer());
    if (s->Init(&failure)) server = std::move(s);
  }
  if (!server && why != nullptr) *why = failure;
  return server.get();
}

bool PostgresServer::Init(std::string* why) {
  bindir_ = FindBindir();
  if (bindir_.empty()) {
    *why = "no PostgreSQL server binaries (apt-get install postgresql)";
    return false;
  }
  // On tmpfs where there is one: a cluster is a thousand files.
  std::string tmpl =
      access("/dev/shm", W_OK) == 0 ? "/dev/shm/perfkit-pg-XXXXXX" : "/tmp/perfkit-pg-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    *why = "cannot make a temporary directory";
    return false;
  }
  dir_ = tmpl;
  owner_ = getpid();
  // initdb refuses to run as root: the server runs as nobody.
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("nobody");
    if (pw == nullptr || chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      *why = "running as root and cannot hand a directory to 'nobody'";
      return false;
    }
    run_as_ = "nobody";
  }
  CommandResult r =
      RunCommand(AsServerUser({bindir_ + "/initdb", "-D", dir_ + "/data", "-U", "perfkit", "-A",
                               "trust", "-E", "UTF8", "--no-locale", "-N"}),
                 dir_);
  if (r.exit_code != 0) {
    *why = "initdb failed: " + r.err;
    return false;
  }
  // The superuser needs no password; every other role does.
  {
    std::ofstream hba(dir_ + "/data/pg_hba.conf", std::ios::trunc);
    hba << "local all perfkit trust\nlocal all all scram-sha-256\n";
  }
  if (!Start()) {
    std::ifstream log(dir_ + "/log");
    *why = "the server did not start: " +
           std::string(std::istreambuf_iterator<char>(log), std::istreambuf_iterator<char>());
    return false;
  }
  return true;
}

std::vector<std::string> PostgresServer::AsServerUser(std::vector<std::string> argv) const {
  if (!run_as_.empty()) {
    argv.insert(argv.begin(),
                {"setpriv", "--reuid=" + run_as_, "--regid=nogroup", "--clear-groups", "--"});
  }
  return argv;
}

bool PostgresServer::Start() {
  // No TCP at all; fsync off: a throwaway server.
  running_ =
      RunCommand(
          AsServerUser(
              {bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/log", "-w", "-t", "60",
               "-o", "-c listen_addresses='' -k " + dir_ + " -c fsync=off -c max_connections=200",
               "start"}),
          dir_)
          .exit_code == 0;
  return running_;
}

bool PostgresServer::Stop(bool immediate) {
  if (!running_) return true;
  const pid_t pid = PostmasterPid(dir_ + "/data");
  if (pid <= 0) return false;
  // SIGINT: a fast shutdown, sessions are ended and nothing is lost.
  kill(pid, immediate ? SIGQUIT : SIGINT);
  for (int i = 0; i < 600 && kill(pid, 0) == 0; ++i) usleep(50000);
  running_ = kill(pid, 0) == 0;
  return !running_;
}

PostgresServer::~PostgresServer() {
  if (getpid() != owner_) return;  // a forked test child leaving
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PostgresServer::Uri(const std::string& database) const {
  return "postgresql://perfkit@/" + database + "?host=" + dir_;
}

std::string PostgresServer::DatabaseOf(const std::string& uri) {
  const size_t slash = uri.rfind('/', uri.find('?'));
  return uri.substr(slash + 1, uri.find('?') - slash - 1);
}

std::string PostgresServer::Psql(const std::string& database, const std::string& sql) {
  CommandResult r = RunCommand({bindir_ + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                "-h", dir_, "-U", "perfkit", "-d", database, "-c", sql});
  EXPECT_EQ(r.exit_code, 0) << sql << ": " << r.err;
  return r.exit_code == 0 ? r.out : "";
}

std::string PostgresServer::NewDatabase() {
  const std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
  // FILE_COPY: a third of the time of PostgreSQL 15's default WAL_LOG for
  // a small template.
  Psql("postgres", "CREATE DATABASE " + name + " STRATEGY FILE_COPY");
  return Uri(name);
}

std::string PostgresServer::UriWithPassword(const std::string& database,
                                            const std::string& password) {
  const std::string user = "u_" + database;
  Psql("postgres", "CREATE ROLE " + user + " LOGIN PASSWORD '" + password + "'");
  Psql("postgres", "GRANT ALL ON DATABASE " + database + " TO " + user);
  Psql(database, "GRANT ALL ON SCHEMA public TO " + user);
  return "postgresql://" + user + ":" + password + "@/" + database + "?host=" + dir_;
}

}  // namespace perfkit::testing
