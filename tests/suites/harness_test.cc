// The harness on its own: run selection against the registry, the suite
// kept on every result, interleaved rounds, and result capture (one sample
// per repetition, errors passed on, interrupts stopping the run).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "suites/harness/interrupt.h"
#include "suites/harness/runner.h"
#include "suites/suite.h"

namespace perfkit::harness {
namespace {

using suites::BenchmarkSpec;
using suites::SuiteEntry;
using suites::SuiteSpec;

void Spin(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(state.iterations());
}

void Fails(benchmark::State& state) { state.SkipWithError("no such engine here"); }

SuiteSpec MakeToy() {
  SuiteSpec s{"toy", "a test suite", {}, {"toy/op/missing: needs a CPU we lack"}};
  s.benchmarks.push_back({"toy/op/ours/8", Role::kOurs, &Spin});
  s.benchmarks.push_back({"toy/op/peer/8", Role::kPeer, &Spin});
  s.benchmarks.push_back({"toy/op/broken/8", Role::kOurs, &Fails});
  return s;
}

// Its benchmark names do not start with the suite's name: the suite comes
// from the registry entry, never from a name's prefix.
SuiteSpec MakeOddNames() {
  SuiteSpec s{"odd", "names without the suite prefix", {}, {}};
  s.benchmarks.push_back({"elsewhere/op/ours/1", Role::kOurs, &Spin});
  return s;
}

const SuiteEntry kToy{"toy", "a test suite", &MakeToy};
const SuiteEntry kOdd{"odd", "odd names", &MakeOddNames};

RunOptions Quick(std::vector<const SuiteEntry*> suites) {
  RunOptions o;
  o.suites = std::move(suites);
  o.repetitions = 3;
  o.min_time_s = 0.001;
  o.seed = 7;
  return o;
}

TEST(Harness, ResolveSuitesIsTheOneCheckAgainstTheRegistry) {
  auto known = suites::ResolveSuites({"crc32", "crc32"});
  ASSERT_TRUE(known.ok());
  ASSERT_EQ(known->size(), 1u);
  EXPECT_STREQ((*known)[0]->name, "crc32");
  auto unknown = suites::ResolveSuites({"crc32", "nope"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.error().rfind("unknown suite 'nope' (suites: crc32", 0), 0u);
  auto defaults = suites::ResolveSuites({});
  ASSERT_TRUE(defaults.ok());
  for (const SuiteEntry* s : *defaults) EXPECT_TRUE(s->in_default_run) << s->name;
}

TEST(Harness, SelectionLabelsEveryBenchmarkWithItsSuite) {
  auto selection = Select(Quick({&kToy, &kOdd}));
  ASSERT_TRUE(selection.ok()) << selection.error();
  ASSERT_EQ(selection->benchmarks.size(), 4u);
  for (const BenchmarkSpec& b : selection->benchmarks) {
    EXPECT_EQ(b.suite, b.name.rfind("toy/", 0) == 0 ? "toy" : "odd") << b.name;
  }
  EXPECT_EQ(selection->skipped,
            std::vector<std::string>{"toy/toy/op/missing: needs a CPU we lack"});
}

TEST(Harness, FilterErrorsAreInvalidArguments) {
  RunOptions o = Quick({&kToy});
  o.filter = "(";
  EXPECT_EQ(Select(o).status().code(), StatusCode::kInvalidArgument);
  o.filter = "zzz";
  auto none = Select(o);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("matches no benchmark of suite(s) toy"), std::string::npos);
  o.filter = "peer";
  auto one = Select(o);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->benchmarks.size(), 1u);
  EXPECT_EQ(one->benchmarks[0].name, "toy/op/peer/8");
}

TEST(Harness, RunCapturesOneSamplePerRepetitionWithSuiteAndRole) {
  const RunOptions o = Quick({&kToy, &kOdd});
  auto selection = Select(o);
  ASSERT_TRUE(selection.ok());
  std::map<std::string, std::vector<BenchmarkResult>> seen;
  ClearInterrupt();
  ASSERT_TRUE(
      harness::Run(*selection, o, [&](const BenchmarkResult& r) { seen[r.name].push_back(r); }));
  ASSERT_EQ(seen.size(), 4u);
  for (const auto& [name, results] : seen) {
    ASSERT_EQ(results.size(), 3u) << name;
    std::set<int64_t> rounds;
    for (const BenchmarkResult& r : results) {
      EXPECT_EQ(r.suite, name == "elsewhere/op/ours/1" ? "odd" : "toy");
      EXPECT_EQ(r.role, name == "toy/op/peer/8" ? Role::kPeer : Role::kOurs);
      if (name == "toy/op/broken/8") {
        EXPECT_EQ(r.error, "no such engine here");
        EXPECT_TRUE(r.samples.empty());
        continue;
      }
      ASSERT_EQ(r.samples.size(), 1u);
      EXPECT_GT(r.samples[0].iterations, 0);
      EXPECT_GT(r.samples[0].real_time_ns, 0);
      rounds.insert(r.samples[0].repetition_index);
    }
    if (name != "toy/op/broken/8") {
      EXPECT_EQ(rounds, (std::set<int64_t>{0, 1, 2}));
    }
  }
}

TEST(Harness, RoundsAreShuffledUnlessInterleavingIsOff) {
  auto order_of = [](bool interleave) {
    RunOptions o = Quick({&kToy, &kOdd});
    o.repetitions = 6;
    o.interleave = interleave;
    auto selection = Select(o);
    std::vector<std::string> order;
    ClearInterrupt();
    harness::Run(*selection, o, [&](const BenchmarkResult& r) { order.push_back(r.name); });
    return order;
  };
  const auto fixed = order_of(false);
  for (size_t i = 4; i < fixed.size(); ++i) EXPECT_EQ(fixed[i], fixed[i - 4]);
  const auto shuffled = order_of(true);
  bool differs = false;
  for (size_t i = 4; i < shuffled.size(); ++i) differs |= shuffled[i] != shuffled[i - 4];
  EXPECT_TRUE(differs);
}

TEST(Harness, AnInterruptStopsTheRunAfterTheBenchmarkInFlight) {
  const RunOptions o = Quick({&kToy});
  auto selection = Select(o);
  ASSERT_TRUE(selection.ok());
  ClearInterrupt();
  int results = 0;
  const bool finished = harness::Run(*selection, o, [&](const BenchmarkResult&) {
    if (++results == 2) RequestInterrupt();
  });
  ClearInterrupt();
  EXPECT_FALSE(finished);
  EXPECT_LT(results, 9);
}

}  // namespace
}  // namespace perfkit::harness
