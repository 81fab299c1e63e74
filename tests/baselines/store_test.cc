// The store on SQLite files and on PostgreSQL: round trips, interrupted
// runs, and refusing what is not ours without touching it.
#include "baselines/store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "tests/baselines/store_backends.h"
#include "tests/test_util.h"

namespace perfkit::store {
namespace {

using perfkit::testing::ReadFileOrDie;
using perfkit::testing::TempDir;
using perfkit::testing::WriteFileOrDie;

RunRecord MakeRun(const std::string& uuid) {
  RunRecord run;
  run.uuid = uuid;
  run.started_at = "2026-01-02T03:04:05Z";
  run.command_line = "perfkit bench";
  run.perfkit_version = "0.1.0";
  run.git_commit = "abc";
  run.host.fingerprint = "fp1";
  run.host.cpu_model = "Test CPU";
  run.host.kernel = "Linux 6";
  run.host.cache_bytes["L1d"] = 32768;
  run.tags["branch"] = "main";
  BenchmarkResult b;
  b.name = "crc32/crc32c/sse42/4096";
  b.suite = "crc32";
  b.role = Role::kOurs;
  for (int i = 0; i < 3; ++i) {
    Sample s;
    s.repetition_index = i;
    s.iterations = 1000 + i;
    s.real_time_ns = 100.5 + i;
    s.cpu_time_ns = 99.5 + i;
    s.counters["bytes_per_second"] = 4e10;
    b.samples.push_back(s);
  }
  run.benchmarks.push_back(b);
  return run;
}

using StoreTest = StoreBackendTest;
INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

TEST_P(StoreTest, SaveAndLoadRoundTrip) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok()) << store.error();
  RunRecord run = MakeRun("11111111-aaaa");
  run.status = RunStatus::kComplete;
  ASSERT_TRUE((*store)->SaveRun(run).ok());
  EXPECT_GT(run.id, 0);

  // A number is a run id only; a uuid prefix needs a letter or "uuid:".
  for (const std::string& ref : {std::string("latest"), std::to_string(run.id),
                                 std::string("uuid:1111"), std::string("11111111-AA")}) {
    auto loaded = (*store)->LoadRun(ref);
    ASSERT_TRUE(loaded.ok()) << ref << ": " << loaded.error();
    EXPECT_EQ(loaded->uuid, run.uuid);
    EXPECT_EQ(loaded->status, RunStatus::kComplete);
    EXPECT_EQ(loaded->tags.at("branch"), "main");
    EXPECT_EQ(loaded->host.cpu_model, "Test CPU");
    EXPECT_EQ(loaded->host.cache_bytes.at("L1d"), 32768);
    ASSERT_EQ(loaded->benchmarks.size(), 1u);
    const auto& b = loaded->benchmarks[0];
    EXPECT_EQ(b.role, Role::kOurs);
    ASSERT_EQ(b.samples.size(), 3u);
    EXPECT_EQ(b.samples[2].iterations, 1002);
    EXPECT_DOUBLE_EQ(b.samples[2].real_time_ns, 102.5);
    EXPECT_DOUBLE_EQ(b.samples[1].counters.at("bytes_per_second"), 4e10);
  }
}

TEST_P(StoreTest, UnknownRunIsAnError) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok());
  auto missing = (*store)->LoadRun("latest");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("no runs"), std::string::npos);
  EXPECT_FALSE((*store)->LoadRun("42").ok());
}

TEST_P(StoreTest, NanTimesSurvive) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok());
  RunRecord run = MakeRun("nan");
  run.benchmarks[0].samples[0].real_time_ns = std::nan("");
  ASSERT_TRUE((*store)->SaveRun(run).ok());
  auto loaded = (*store)->LoadRun("latest");
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(std::isnan(loaded->benchmarks[0].samples[0].real_time_ns));
}

// A run that stops half-way keeps its finished repetitions, never claims to
// be complete, and leaves a database that passes integrity_check.
TEST_P(StoreTest, InterruptedRunKeepsFinishedSamples) {
  const std::string path = location_;
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.error();
    RunRecord run = MakeRun("interrupted");
    BenchmarkResult first = run.benchmarks[0];
    first.samples.resize(1);
    run.benchmarks[0].samples.clear();
    ASSERT_TRUE((*store)->BeginRun(run).ok());
    ASSERT_TRUE((*store)->AddResult(run.id, first).ok());
    // The process dies here: no FinishRun.
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  auto loaded = (*store)->LoadRun("latest");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->status, RunStatus::kRunning);
  ASSERT_EQ(loaded->benchmarks.size(), 1u);
  EXPECT_EQ(loaded->benchmarks[0].samples.size(), 1u);
  ASSERT_TRUE((*store)->FinishRun(loaded->id, RunStatus::kInterrupted, "now").ok());
  EXPECT_EQ((*store)->LoadRun("latest")->status, RunStatus::kInterrupted);
  EXPECT_EQ(*(*store)->IntegrityCheck(), "ok");
}

TEST_P(StoreTest, ALabelSetInALaterRepetitionIsKept) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok()) << store.error();
  RunRecord run = MakeRun("labels");
  BenchmarkResult b = run.benchmarks[0];
  run.benchmarks.clear();
  ASSERT_TRUE((*store)->BeginRun(run).ok());
  b.samples.resize(1);
  for (const char* label : {"", "O_DIRECT", ""}) {  // one repetition each
    b.label = label;
    ASSERT_TRUE((*store)->AddResult(run.id, b).ok());
    ++b.samples[0].repetition_index;
  }
  auto loaded = (*store)->LoadRun("latest");
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->benchmarks.size(), 1u);
  EXPECT_EQ(loaded->benchmarks[0].label, "O_DIRECT");
}

TEST(Store, RefusesAFileThatIsNotSqliteAndLeavesItUntouched) {
  TempDir dir;
  const std::string path = dir.File("notes.txt");
  const std::string content = "these are my notes, not a database\n";
  WriteFileOrDie(path, content);
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().find("not a SQLite database"), std::string::npos);
  EXPECT_EQ(ReadFileOrDie(path), content);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_P(StoreTest, RefusesANewerSchema) {
  const std::string path = location_;
  ASSERT_TRUE(Store::Open(path).ok());
  SetSchemaVersion(path, 999);
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().find("newer"), std::string::npos);
}

TEST_P(StoreTest, DuplicateUuidFailsWithoutPartialWrites) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok());
  RunRecord a = MakeRun("same");
  RunRecord b = MakeRun("same");
  ASSERT_TRUE((*store)->SaveRun(a).ok());
  EXPECT_FALSE((*store)->SaveRun(b).ok());
  auto runs = (*store)->ListRuns(10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].samples, 3);
}

// Everything else the store keeps, on both backends: baselines and their
// history, noise floors, profiles, power, and the fleet of hosts.
// perfkit tune's choices: one per host, saved over, refused whole when a
// stored row does not parse, and forgotten.
TEST_P(StoreTest, TuningsPerHost) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok()) << store.error();
  RunRecord run = MakeRun("tune0001");
  ASSERT_TRUE((*store)->SaveRun(run).ok());
  Tuning t;
  t.host_fingerprint = "fp1";
  t.created_at = "2026-12-06T00:00:00Z";
  t.run_id = run.id;
  t.crc32 = {{0, "slice8"}, {32, "vpclmul"}};
  t.crc32c = {{0, "sse42"}};
  t.copy_stream_from = 8 << 20;
  t.copy_rep_movsb_from = kNeverStream;
  t.set_rep_stosb_from = 12288;
  ASSERT_TRUE((*store)->SaveTuning(t).ok());
  t.crc32c = {{0, "sse42"}, {2048, "hybrid"}};
  ASSERT_TRUE((*store)->SaveTuning(t).ok());
  auto loaded = (*store)->LoadTuning("fp1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->crc32, t.crc32);
  EXPECT_EQ((*loaded)->crc32c, t.crc32c);
  EXPECT_EQ((*loaded)->copy_stream_from, uint64_t{8} << 20);
  EXPECT_EQ((*loaded)->set_stream_from, kNeverStream);
  EXPECT_EQ((*loaded)->copy_rep_movsb_from, std::optional<uint64_t>(kNeverStream));
  EXPECT_EQ((*loaded)->set_rep_stosb_from, std::optional<uint64_t>(12288));
  EXPECT_EQ((*loaded)->run_id, run.id);
  auto other = (*store)->LoadTuning("fp2");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  EXPECT_TRUE(*(*store)->DeleteTuning("fp1"));
  EXPECT_FALSE(*(*store)->DeleteTuning("fp1"));
  EXPECT_FALSE((*store)->LoadTuning("fp1")->has_value());
}

TEST(Tuning, BandsAndThresholdsReadBackOrAreRefused) {
  const std::vector<TunedBand> bands = {{0, "slice8"}, {16, "pclmul"}, {256, "avx512"}};
  auto parsed = ParseBands(FormatBands(bands));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, bands);
  EXPECT_EQ(DescribeBands(bands), "< 16 B: slice8; 16 B to < 256 B: pclmul; >= 256 B: avx512");
  for (const char* bad :
       {"", "16:slice8", "0:slice8 0:pclmul", "0:slice8 8:", "0:sl ice8", "0:slice8 x:pclmul",
        "0:../../etc", "0:slice8  16:pclmul", "99999999999999999999999:a"}) {
    EXPECT_FALSE(ParseBands(bad).ok()) << bad;
  }
  EXPECT_EQ(*ParseStreamFrom("never"), kNeverStream);
  EXPECT_EQ(*ParseStreamFrom(FormatStreamFrom(123)), 123u);
  for (const char* bad : {"", "-1", "1e6", "12 ", "Never"}) EXPECT_FALSE(ParseStreamFrom(bad).ok());
}

TEST_P(StoreTest, BaselinesNoiseFloorsProfilesPowerAndHosts) {
  auto store = Store::Open(location_);
  ASSERT_TRUE(store.ok()) << store.error();
  RunRecord a = MakeRun("aaaa0001");
  RunRecord b = MakeRun("bbbb0002");
  b.host.fingerprint = "fp2";
  b.owner.hostname = "runner-2";
  ASSERT_TRUE((*store)->SaveRun(a).ok());
  StoredProfile profile{0, "task-clock", "fp", 10, 1, 9, {{{"main", "work"}, 7}, {{"main"}, 3}}};
  ASSERT_TRUE((*store)->SaveRun(b, {profile}).ok());

  ASSERT_TRUE((*store)->SaveBaseline("main", a.id, "2026-01-01T00:00:00Z").ok());
  ASSERT_TRUE((*store)->SaveBaseline("main", b.id, "2026-01-02T00:00:00Z").ok());
  auto history = (*store)->BaselineHistory("main");
  ASSERT_TRUE(history.ok()) << history.error();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].run_uuid, "bbbb0002");
  EXPECT_EQ((*history)[0].host_fingerprint, "fp2");
  auto baselines = (*store)->ListBaselines();
  ASSERT_TRUE(baselines.ok());
  ASSERT_EQ(baselines->size(), 1u);
  EXPECT_EQ((*baselines)[0].latest_run_id, b.id);
  EXPECT_EQ((*baselines)[0].saves, 2);
  EXPECT_FALSE((*store)->SaveBaseline("latest", a.id, "now").ok());
  ASSERT_TRUE((*store)->DeleteBaseline("main").ok());
  EXPECT_FALSE(*(*store)->HasBaseline("main"));
  EXPECT_TRUE((*store)->LoadRun(std::to_string(a.id)).ok());  // its runs stay

  ASSERT_TRUE(
      (*store)->SaveNoiseFloors("fp1", "real_time", {{"x", 0.1}, {"y", 0.2}}, 5, "t1").ok());
  ASSERT_TRUE((*store)->SaveNoiseFloors("fp1", "real_time", {{"x", 0.3}}, 5, "t2").ok());
  auto noise = (*store)->LoadNoiseFloors("fp1", "real_time");
  ASSERT_TRUE(noise.ok());
  EXPECT_EQ(*noise, (std::map<std::string, double>{{"x", 0.3}, {"y", 0.2}}));
  EXPECT_TRUE((*store)->LoadNoiseFloors("fp2", "real_time")->empty());

  auto profiles = (*store)->LoadProfiles(b.id);
  ASSERT_TRUE(profiles.ok());
  ASSERT_EQ(profiles->size(), 1u);
  EXPECT_EQ((*profiles)[0].complete, 9u);
  ASSERT_EQ((*profiles)[0].stacks.size(), 2u);
  EXPECT_EQ((*profiles)[0].stacks[0].frames, (std::vector<std::string>{"main", "work"}));

  ASSERT_TRUE((*store)
                  ->SavePowerSamples({{100.5, 42.25, true, 0.5, "record", 0},
                                      {101.5, 43.0, false, 0.75, "bench", b.id}})
                  .ok());
  auto power = (*store)->LoadPowerSamples(101);
  ASSERT_TRUE(power.ok());
  ASSERT_EQ(power->size(), 1u);
  EXPECT_EQ((*power)[0].run_id, b.id);
  EXPECT_DOUBLE_EQ((*power)[0].u, 0.75);
  EXPECT_EQ((*store)->LoadPowerSamples(0)->front().run_id, 0);

  auto hosts = (*store)->ListHosts();
  ASSERT_TRUE(hosts.ok());
  ASSERT_EQ(hosts->size(), 2u);
  EXPECT_EQ((*hosts)[0].fingerprint, "fp2");  // most recent run first
  auto by_name = (*store)->ListRuns(10, "runner-2");
  ASSERT_TRUE(by_name.ok());
  ASSERT_EQ(by_name->size(), 1u);
  EXPECT_EQ(by_name->front().run.uuid, "bbbb0002");
  EXPECT_EQ((*store)->RunUuids()->size(), 2u);
}

}  // namespace
}  // namespace perfkit::store
