// The store, on SQLite and on PostgreSQL, against hostile and concurrent
// use: schema versions it does not know and foreign databases refused
// untouched (byte for byte, for a file), run
// references that never guess, a new database opened by many processes at
// once, read-only opening that creates nothing, NUL bytes, and runs whose
// process died read back as abandoned.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "baselines/run_ref.h"
#include "baselines/sqlite_connection.h"
#include "baselines/store.h"
#include "tests/baselines/store_backends.h"
#include "tests/test_util.h"

namespace perfkit::store {
namespace {

using perfkit::testing::ReadFileOrDie;
using perfkit::testing::TempDir;

RunRecord MakeRunWithStatus(const std::string& uuid, RunStatus status = RunStatus::kComplete) {
  RunRecord run;
  run.uuid = uuid;
  run.status = status;
  run.host.fingerprint = "fp";
  BenchmarkResult b;
  b.name = "s/op/ours/1";
  b.samples.push_back({0, 10, 1.5, 1.5, {}});
  run.benchmarks.push_back(b);
  return run;
}

using StoreHardeningTest = StoreBackendTest;
INSTANTIATE_TEST_SUITE_P(Backends, StoreHardeningTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

TEST_P(StoreHardeningTest, UnknownSchemaVersionsAreRefusedUntouched) {
  for (int version : {-1, -2, -3, -4, -2147483647, 10, 999}) {  // 10: one past the newest
    const std::string path = NewLocation();
    ASSERT_TRUE(Store::Open(path).ok());
    SetSchemaVersion(path, version);
    const std::string before = Snapshot(path);
    for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
      auto store = Store::Open(path, mode);
      ASSERT_FALSE(store.ok()) << version;
      EXPECT_NE(store.error().find("schema version " + std::to_string(version) +
                                   " is not one this perfkit knows"),
                std::string::npos)
          << store.error();
    }
    EXPECT_EQ(Snapshot(path), before) << version;
  }
}

TEST_P(StoreHardeningTest, ADatabaseOfSchemaFourGainsThePowerTablesAndKeepsItsRuns) {
  const std::string path = location_;
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    RunRecord run = MakeRunWithStatus("4a4a4a4a-0000-0000-0000-000000000000");
    ASSERT_TRUE((*store)->SaveRun(run).ok());
  }
  // What perfkit before the power tables left behind.
  Sql(path,
      "DROP TABLE tunings; DROP TABLE claims; DROP TABLE power_samples; DROP TABLE "
      "power_profiles");
  SetSchemaVersion(path, 4);
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.error();
  EXPECT_TRUE((*store)->LoadRun("latest").ok());
  PowerProfile p{"host", "2026-01-01T00:00:00Z", "test", 40, 60, 0.5, false, "{}"};
  ASSERT_TRUE((*store)->SavePowerProfile(p).ok());
  auto profiles = (*store)->LoadPowerProfiles("host");
  ASSERT_TRUE(profiles.ok());
  ASSERT_EQ(profiles->size(), 1u);
  EXPECT_EQ(profiles->front().c_cpu_w_per_util, 60);
}

// Claims round-trip whole, a second save replaces the first, and a store
// from before claims were kept gains the table and keeps its runs.
TEST_P(StoreHardeningTest, ClaimsAreKeptWithTheirRun) {
  const std::string path = location_;
  RunRecord run = MakeRunWithStatus("c1a1c1a1-0000-0000-0000-000000000000");
  ClaimResult met;
  met.id = "crc32/bound";
  met.suite = "crc32";
  met.text = "bound: 97% of the bound";
  met.value = 97.5;
  met.has_value = true;
  met.unit = "% of the bound";
  met.target = ">= 95";
  met.status = ClaimStatus::kMet;
  met.benchmarks = {"crc32/a", "crc32/b"};
  ClaimResult unmeasured;
  unmeasured.id = "crc32/numa";
  unmeasured.suite = "crc32";
  unmeasured.text = "numa: not measured: one node";
  unmeasured.status = ClaimStatus::kNotMeasurable;
  unmeasured.reason = "one node";
  run.claims = {met, unmeasured};
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->SaveRun(run).ok());
    auto loaded = (*store)->LoadRun("latest");
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    ASSERT_EQ(loaded->claims.size(), 2u);
    EXPECT_EQ(loaded->claims[0].id, "crc32/bound");
    EXPECT_DOUBLE_EQ(loaded->claims[0].value, 97.5);
    EXPECT_TRUE(loaded->claims[0].has_value);
    EXPECT_EQ(loaded->claims[0].benchmarks, met.benchmarks);
    EXPECT_EQ(loaded->claims[1].status, ClaimStatus::kNotMeasurable);
    EXPECT_FALSE(loaded->claims[1].has_value);
    EXPECT_EQ(loaded->claims[1].reason, "one node");
    ASSERT_TRUE((*store)->SaveClaims(loaded->id, {unmeasured}).ok());
    EXPECT_EQ((*store)->LoadRun("latest")->claims.size(), 1u);
  }
  Sql(path, "DROP TABLE tunings; DROP TABLE claims");
  SetSchemaVersion(path, 5);
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.error();
  auto again = (*store)->LoadRun("latest");
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_TRUE(again->claims.empty());
}

// A tuning stored before tune measured `rep movsb` (schema 7) or `rep stosb`
// (schema 8) reads back without them, read-only as it is and after the
// migration, which keeps the rest.
TEST_P(StoreHardeningTest, AnOlderTuningKeepsItsChoicesWithoutTheFastStrings) {
  for (int schema : {7, 8}) {
    SCOPED_TRACE(schema);
    const std::string path = NewLocation();
    {
      auto store = Store::Open(path);
      ASSERT_TRUE(store.ok());
      RunRecord run =
          MakeRunWithStatus("7a7a7a7a-0000-0000-0000-00000000000" + std::to_string(schema));
      ASSERT_TRUE((*store)->SaveRun(run).ok());
      Tuning t;
      t.run_id = run.id;
      t.host_fingerprint = "fp7";
      t.created_at = "2026-12-06T00:00:00Z";
      t.crc32 = {{0, "slice8"}};
      t.crc32c = {{0, "sse42"}};
      t.copy_stream_from = 8 << 20;
      t.copy_rep_movsb_from = 2112;
      t.set_rep_stosb_from = 12288;
      ASSERT_TRUE((*store)->SaveTuning(t).ok());
    }
    Sql(path, "ALTER TABLE tunings DROP COLUMN set_rep_stosb_from");
    if (schema == 7) Sql(path, "ALTER TABLE tunings DROP COLUMN copy_rep_movsb_from");
    SetSchemaVersion(path, schema);
    for (OpenMode mode : {OpenMode::kReadOnly, OpenMode::kReadWrite}) {
      auto store = Store::Open(path, mode);
      ASSERT_TRUE(store.ok()) << store.error();
      auto loaded = (*store)->LoadTuning("fp7");
      ASSERT_TRUE(loaded.ok()) << loaded.error();
      ASSERT_TRUE(loaded->has_value());
      EXPECT_EQ((*loaded)->copy_stream_from, uint64_t{8} << 20);
      EXPECT_EQ((*loaded)->copy_rep_movsb_from,
                schema == 7 ? std::nullopt : std::optional<uint64_t>(2112));
      EXPECT_FALSE((*loaded)->set_rep_stosb_from.has_value());
    }
  }
}

TEST_P(StoreHardeningTest, AForeignDatabaseIsRefusedBeforeAnythingIsWritten) {
  const std::string path = location_;
  Sql(path, "CREATE TABLE notes(text TEXT); INSERT INTO notes VALUES('mine')");
  const std::string before = Snapshot(path);
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().find(std::string("is a ") + (postgres() ? "PostgreSQL" : "SQLite") +
                               " database but not perfkit's"),
            std::string::npos)
      << store.error();
  EXPECT_EQ(Snapshot(path), before);  // not even switched to WAL
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(StoreHardening, ReadOnlyNeverCreatesOrChangesAFile) {
  TempDir dir;
  auto missing = Store::Open(dir.File("none.db"), OpenMode::kReadOnly);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("no database"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  auto empty = Store::Open("", OpenMode::kReadWrite);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);

  const std::string path = dir.File("p.db");
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    RunRecord run = MakeRunWithStatus("aaaa0000-1111");
    ASSERT_TRUE((*store)->SaveRun(run).ok());
  }
  const std::string before = ReadFileOrDie(path);
  auto store = Store::Open(path, OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.error();
  ASSERT_TRUE((*store)->LoadRun("latest").ok());
  RunRecord another = MakeRunWithStatus("bbbb");
  EXPECT_FALSE((*store)->SaveRun(another).ok());
  store->reset();
  EXPECT_EQ(ReadFileOrDie(path), before);
}

// A full disk is the file's trouble, not the statement's: the error says
// which database, so the user knows what to free or move.
TEST(StoreHardening, AFullDiskNamesTheDatabase) {
  TempDir dir;
  const std::string path = dir.File("full.db");
  auto db = internal::OpenSqlite(path, OpenMode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.error();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(x BLOB); PRAGMA max_page_count = 8").ok());
  Status full;
  for (int i = 0; i < 64 && full.ok(); ++i) {
    full = (*db)->Exec("INSERT INTO t VALUES(zeroblob(4096))");
  }
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.message().find("full"), std::string::npos) << full.message();
  EXPECT_NE(full.message().find("(database '" + path + "')"), std::string::npos) << full.message();
  auto insert = (*db)->Prepare("INSERT INTO t VALUES(zeroblob(4096))");
  EXPECT_FALSE(insert->Next());
  EXPECT_NE(insert->status().message().find(path), std::string::npos) << insert->status().message();
}

TEST(StoreHardening, RunReferencesNeverGuess) {
  struct Case {
    const char* text;
    bool ok;
    RunRef::Kind kind;
  };
  for (const Case& c : std::vector<Case>{{"latest", true, RunRef::Kind::kLatest},
                                         {"7", true, RunRef::Kind::kId},
                                         {"0", true, RunRef::Kind::kId},
                                         {"abcd", true, RunRef::Kind::kUuidPrefix},
                                         {"7F3a-9", true, RunRef::Kind::kUuidPrefix},
                                         {"uuid:7", true, RunRef::Kind::kUuidPrefix},
                                         {"uuid:", false, {}},
                                         {"abc", false, {}},
                                         {"1234-", false, {}},
                                         {"zzzz", false, {}},
                                         {"", false, {}},
                                         {"-1", false, {}},
                                         {"9223372036854775807", true, RunRef::Kind::kId},
                                         {"99999999999999999999", false, {}}}) {
    auto ref = ParseRunRef(c.text);
    EXPECT_EQ(ref.ok(), c.ok) << c.text;
    if (ref.ok()) {
      EXPECT_EQ(ref->kind, c.kind) << c.text;
    } else {
      EXPECT_EQ(ref.status().code(), StatusCode::kInvalidArgument) << c.text;
    }
  }
}

TEST_P(StoreHardeningTest, RunReferencesResolveWithoutGuessing) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok());
  for (const char* uuid : {"7aaa0000-0000", "0bbb0000-0000", "7aab0000-0000"}) {
    RunRecord run = MakeRunWithStatus(uuid);
    ASSERT_TRUE((*store)->SaveRun(run).ok());
  }
  EXPECT_EQ((*store)->LoadRun("7").error(), "no run '7' (see 'perfkit runs')");
  EXPECT_FALSE((*store)->LoadRun("0").ok());
  EXPECT_EQ((*store)->LoadRun("uuid:7aaa")->id, 1);
  EXPECT_EQ((*store)->LoadRun("0BBB")->id, 2);
  auto ambiguous = (*store)->LoadRun("uuid:7a");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error(),
            "run 'uuid:7a' is ambiguous: runs 1 (7aaa0000), 3 (7aab0000); give more of the uuid");
  EXPECT_EQ((*store)->LoadRun("99999999999999999999").error(),
            "run id '99999999999999999999' is out of range");
}

// PostgreSQL's text cannot hold a NUL byte: there the run is refused whole,
// with a message that says so.
TEST_P(StoreHardeningTest, NulBytesInNamesSurviveOrAreRefusedWhole) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok());
  RunRecord run = MakeRunWithStatus("cccc0000");
  run.benchmarks[0].name = std::string("a\0b", 3);
  run.tags["k"] = std::string("v\0w", 3);
  Status saved = (*store)->SaveRun(run);
  if (postgres()) {
    ASSERT_FALSE(saved.ok());
    EXPECT_NE(saved.message().find("cannot hold a NUL byte"), std::string::npos) << saved.message();
    EXPECT_TRUE((*store)->ListRuns(10)->empty());
    return;
  }
  ASSERT_TRUE(saved.ok());
  auto loaded = (*store)->LoadRun("latest");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->benchmarks[0].name, std::string("a\0b", 3));
  EXPECT_EQ(loaded->tags.at("k"), std::string("v\0w", 3));
}

TEST_P(StoreHardeningTest, ARunWhoseProcessDiedReadsBackAsAbandoned) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok());
  RunRecord live = MakeRunWithStatus("dddd0001", RunStatus::kRunning);
  live.owner = CurrentProcess();
  ASSERT_TRUE((*store)->BeginRun(live).ok());
  RunRecord dead = MakeRunWithStatus("dddd0002", RunStatus::kRunning);
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  dead.owner = CurrentProcess();
  dead.owner.pid = child;  // gone now; its start time no longer matches anything
  ASSERT_TRUE((*store)->BeginRun(dead).ok());
  RunRecord elsewhere = MakeRunWithStatus("dddd0003", RunStatus::kRunning);
  elsewhere.owner = {1, "1", "boot", "another-host"};
  ASSERT_TRUE((*store)->BeginRun(elsewhere).ok());
  EXPECT_EQ((*store)->LoadRun("uuid:dddd0001")->status, RunStatus::kRunning);
  EXPECT_EQ((*store)->LoadRun("uuid:dddd0002")->status, RunStatus::kAbandoned);
  EXPECT_EQ((*store)->LoadRun("uuid:dddd0003")->status, RunStatus::kRunning);
  auto listed = (*store)->ListRuns(10);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[1].run.status, RunStatus::kAbandoned);
}

// 24 processes open one new database at once, each writing a run and
// listing the runs: none may fail with "database is locked".
TEST_P(StoreHardeningTest, ANewDatabaseOpenedByManyProcessesAtOnce) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string path = NewLocation();
    int go[2];
    ASSERT_EQ(pipe(go), 0);
    std::vector<pid_t> children;
    for (int i = 0; i < 24; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        close(go[1]);
        char byte;
        (void)!read(go[0], &byte, 1);  // all start together
        auto store = Store::Open(path);
        if (!store.ok()) {
          fprintf(stderr, "%s\n", store.error().c_str());
          _exit(1);
        }
        RunRecord run = MakeRunWithStatus("eeee" + std::to_string(i));
        if (!(*store)->SaveRun(run).ok()) _exit(2);
        _exit((*store)->ListRuns(100).ok() ? 0 : 3);
      }
      children.push_back(pid);
    }
    close(go[0]);
    close(go[1]);
    for (pid_t pid : children) {
      int status = 0;
      waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "attempt " << attempt << ": exit " << WEXITSTATUS(status);
    }
    auto store = Store::Open(path, OpenMode::kReadOnly);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->ListRuns(100)->size(), 24u);
    EXPECT_EQ(*(*store)->IntegrityCheck(), "ok");
  }
}

}  // namespace
}  // namespace perfkit::store
