// The built binary against a real PostgreSQL server: every reading command
// gives what it gives on SQLite for the same runs (sync copies them over),
// sync is idempotent, writers run at once, a run outlives a server restart,
// failures are one line with exit 3, and no password is ever shown or kept.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "baselines/store.h"
#include "tests/postgres_server.h"
#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

// Two benchmarks of the crc32 suite: ours and the peer at one size.
const std::vector<std::string> kSmallBench = {"bench",   "--suite",  "crc32",
                                              "--quick", "--filter", "crc32c/(sse42|isal)/4096$"};
// Every CRC-32C engine at one size: enough for the suite's engine-choice claim.
const std::vector<std::string> kClaimsBench = {"bench",   "--suite",  "crc32",
                                               "--quick", "--filter", "crc32c/[^/]+/4096$"};

class PostgresE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    server_ = PostgresServer::Shared(&why);
    if (server_ == nullptr) {
      if (PostgresRequired()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    uri_ = server_->NewDatabase();
  }

  static CommandResult Perfkit(std::vector<std::string> args, const std::string& db) {
    args.insert(args.begin(), PerfkitBinary());
    args.push_back("--db");
    args.push_back(db);
    return RunCommand(args);
  }
  static std::vector<std::string> Plus(std::vector<std::string> a, const std::string& b) {
    a.push_back(b);
    return a;
  }
  static size_t Lines(const std::string& text) {
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }

  PostgresServer* server_ = nullptr;
  std::string uri_;
  TempDir dir_;
};

TEST_F(PostgresE2e, EveryReadingCommandMatchesSqliteForTheSameRuns) {
  const std::string sqlite = dir_.File("perfkit.db");
  for (int i = 0; i < 2; ++i) ASSERT_EQ(Perfkit(kClaimsBench, sqlite).exit_code, 0);
  ASSERT_EQ(Perfkit({"baseline", "save", "main", "1"}, sqlite).exit_code, 0);
  EXPECT_GE(Lines(Perfkit({"export", "1", "--format", "claims-csv"}, sqlite).out), 2u)
      << "a header and the engine-choice claim";

  CommandResult sync = RunCommand({PerfkitBinary(), "sync", "--from", sqlite, "--to", uri_});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  EXPECT_NE(sync.out.find("copied 2 runs and 1 baseline save"), std::string::npos) << sync.out;
  sync = RunCommand({PerfkitBinary(), "sync", "--from", sqlite, "--to", uri_});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  EXPECT_NE(sync.out.find("copied 0 runs and 0 baseline saves"), std::string::npos) << sync.out;
  EXPECT_NE(sync.out.find("2 already there"), std::string::npos) << sync.out;

  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"compare", "1", "2"},
           {"compare", "main", "2"},
           {"compare", "main", "latest", "--same-host", "--format", "json"},
           {"runs"},
           {"runs", "--json"},
           {"hosts"},
           {"export", "1"},
           {"export", "2", "--format", "csv"},
           {"export", "2", "--format", "claims-csv"},
           {"baseline", "list"},
           {"baseline", "show", "main"}}) {
    CommandResult on_sqlite = Perfkit(command, sqlite);
    CommandResult on_postgres = Perfkit(command, uri_);
    EXPECT_EQ(on_postgres.exit_code, on_sqlite.exit_code) << command[0] << ": " << on_postgres.err;
    EXPECT_EQ(on_postgres.out, on_sqlite.out) << command[0];
    EXPECT_FALSE(on_postgres.out.empty()) << command[0];
  }

  // And written there directly: a third run, a baseline and a report.
  ASSERT_EQ(Perfkit(kSmallBench, uri_).exit_code, 0);
  ASSERT_EQ(Perfkit({"baseline", "save", "next", "latest"}, uri_).exit_code, 0);
  CommandResult report = Perfkit({"report", "-o", dir_.File("report")}, uri_);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(Lines(Perfkit({"runs"}, uri_).out), 4u);  // header and three runs
}

TEST_F(PostgresE2e, FourWritersAtOnceLoseNothing) {
  std::vector<std::thread> writers;
  std::vector<CommandResult> results(4);
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&, i] { results[i] = Perfkit(kSmallBench, uri_); });
  }
  for (auto& w : writers) w.join();
  for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << r.err;
  auto store = store::Store::Open(uri_, store::OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.error();
  auto runs = (*store)->ListRuns(10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 4u);
  for (const auto& l : *runs) {
    EXPECT_EQ(l.run.status, RunStatus::kComplete);
    EXPECT_EQ(l.benchmarks, 2);
    EXPECT_EQ(l.samples, 6);  // 3 repetitions each
  }
}

// The server goes away for a second in the middle of a run: the run waits
// for it, writes on, and ends complete with every repetition.
TEST_F(PostgresE2e, ARunOutlivesAServerRestart) {
  CommandResult bench;
  std::thread run([&] {
    bench = Perfkit({"bench", "--suite", "crc32", "--filter", "crc32c/(sse42|isal)/4096$",
                     "--repetitions", "40", "--min-time", "0.05"},
                    uri_);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_TRUE(server_->Stop());
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ASSERT_TRUE(server_->Start());
  run.join();
  EXPECT_EQ(bench.exit_code, 0) << bench.err;
  auto store = store::Store::Open(uri_, store::OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.error();
  auto loaded = (*store)->LoadRun("latest");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->status, RunStatus::kComplete);
  for (const auto& b : loaded->benchmarks) EXPECT_EQ(b.samples.size(), 40u) << b.name;
}

// The same with the server crashing (an immediate shutdown) three times in
// a run: a commit whose answer was lost may have landed, and the retry must
// neither fail on the connection's last words nor write a repetition twice.
TEST_F(PostgresE2e, ARunOutlivesImmediateRestarts) {
  CommandResult bench;
  std::thread run([&] {
    bench = Perfkit({"bench", "--suite", "crc32", "--filter", "crc32c/(sse42|isal)/(64|4096)$",
                     "--repetitions", "40", "--min-time", "0.02"},
                    uri_);
  });
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    ASSERT_TRUE(server_->Stop(/*immediate=*/true));
    ASSERT_TRUE(server_->Start());
  }
  run.join();
  EXPECT_EQ(bench.exit_code, 0) << bench.err;
  auto store = store::Store::Open(uri_, store::OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.error();
  auto loaded = (*store)->LoadRun("latest");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->status, RunStatus::kComplete);
  ASSERT_EQ(loaded->benchmarks.size(), 4u);
  for (const auto& b : loaded->benchmarks) EXPECT_EQ(b.samples.size(), 40u) << b.name;
}

// And when it does not come back in time: exit 3 in one line, and the
// repetitions already committed stay, in a run that reads back abandoned.
TEST_F(PostgresE2e, AServerThatStaysAwayStopsTheRunKeepingWhatItWrote) {
  CommandResult bench;
  std::thread run([&] {
    bench = RunCommand({"env", "PERFKIT_DB_RECONNECT_SECONDS=1", PerfkitBinary(), "bench",
                        "--suite", "crc32", "--filter", "crc32c/(sse42|isal)/4096$",
                        "--repetitions", "40", "--min-time", "0.05", "--db", uri_});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_TRUE(server_->Stop());
  run.join();
  ASSERT_TRUE(server_->Start());
  EXPECT_EQ(bench.exit_code, 3);
  EXPECT_EQ(Lines(bench.err), 1u) << bench.err;
  EXPECT_NE(bench.err.find("did not come back within 1 s"), std::string::npos) << bench.err;
  auto store = store::Store::Open(uri_, store::OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.error();
  auto loaded = (*store)->LoadRun("latest");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->status, RunStatus::kAbandoned);
  for (const auto& b : loaded->benchmarks) {
    EXPECT_GT(b.samples.size(), 0u) << b.name;
    EXPECT_LT(b.samples.size(), 40u) << b.name;
  }
}

TEST_F(PostgresE2e, PasswordsAreNeverShownOrStored) {
  const std::string database = PostgresServer::DatabaseOf(uri_);
  const std::string secret = "s3cret-Pa55";
  const std::string with_password = server_->UriWithPassword(database, secret);
  CommandResult bench = Perfkit(kSmallBench, with_password);
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  CommandResult runs = Perfkit({"runs", "--json"}, with_password);
  ASSERT_EQ(runs.exit_code, 0);
  EXPECT_NE(runs.out.find("postgresql://u_" + database + "@/"), std::string::npos) << runs.out;
  for (const CommandResult& r : {bench, runs}) {
    EXPECT_EQ((r.out + r.err).find(secret), std::string::npos) << r.out << r.err;
  }
  // A wrong password: one line, exit 3, neither password in it.
  std::string wrong = with_password;
  wrong.replace(wrong.find(secret), secret.size(), "wrong-Pa55");
  CommandResult refused = Perfkit({"runs"}, wrong);
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_EQ(Lines(refused.err), 1u) << refused.err;
  EXPECT_NE(refused.err.find("password authentication failed"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("wrong-Pa55"), std::string::npos) << refused.err;
}

TEST_F(PostgresE2e, UnreachableServersAndNewerSchemasFailInOneLine) {
  CommandResult nowhere =
      Perfkit(kSmallBench, "postgresql://perfkit@/perfkit?host=" + dir_.File("no-server"));
  EXPECT_EQ(nowhere.exit_code, 3);
  EXPECT_EQ(Lines(nowhere.err), 1u) << nowhere.err;
  EXPECT_NE(nowhere.err.find("cannot connect to PostgreSQL"), std::string::npos) << nowhere.err;

  ASSERT_EQ(Perfkit(kSmallBench, uri_).exit_code, 0);
  const std::string database = PostgresServer::DatabaseOf(uri_);
  server_->Psql(database, "UPDATE perfkit_schema SET version = 99");
  for (const auto& command : {kSmallBench, std::vector<std::string>{"runs"}}) {
    CommandResult newer = Perfkit(command, uri_);
    EXPECT_EQ(newer.exit_code, 3);
    EXPECT_EQ(Lines(newer.err), 1u) << newer.err;
    EXPECT_NE(newer.err.find("schema version 99 is not one this perfkit knows"), std::string::npos)
        << newer.err;
  }
  EXPECT_EQ(server_->Psql(database, "SELECT COUNT(*) FROM runs"), "1\n");
}

}  // namespace
}  // namespace perfkit::testing
