// perfkit tune end to end: it measures into a store, shows what it chose,
// bench, list and sysinfo follow it on this host, and --reset forgets it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(Tune, MeasuresShowsIsFollowedAndIsForgotten) {
  TempDir dir;
  const std::string db = dir.File("tune.db");
  auto none = RunCommand({PerfkitBinary(), "tune", "--show", "--db", db});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(Has(none.out, "no tuning for this host")) << none.out;
  EXPECT_FALSE(std::filesystem::exists(db));  // showing creates nothing

  auto tune = RunCommand({PerfkitBinary(), "tune", "--quick", "--db", db});
  ASSERT_EQ(tune.exit_code, 0) << tune.out << tune.err;
  for (const char* line :
       {"crc32 ", "crc32c ", "copies ", "rep movsb", "sets ", "rep stosb", "by run 1 in"}) {
    EXPECT_TRUE(Has(tune.out, line)) << line << " in " << tune.out;
  }
  auto show = RunCommand({PerfkitBinary(), "tune", "--show", "--db", db});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(show.out, tune.out.substr(0, show.out.size()));  // the same choices, read back

  auto sysinfo = RunCommand({PerfkitBinary(), "sysinfo", "--db", db});
  ASSERT_EQ(sysinfo.exit_code, 0) << sysinfo.err;
  EXPECT_TRUE(Has(sysinfo.out, "from perfkit tune (run 1")) << sysinfo.out;
  EXPECT_TRUE(Has(sysinfo.out, "as measured here")) << sysinfo.out;
  auto list = RunCommand({PerfkitBinary(), "list", "--suite", "crc32", "--db", db});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(Has(list.out, "from perfkit tune")) << list.out;
  auto bench = RunCommand({PerfkitBinary(), "bench", "--suite", "crc32", "--quick", "--filter",
                           "crc32c/[a-z0-9]+/64$", "--db", db});
  ASSERT_EQ(bench.exit_code, 0) << bench.out << bench.err;
  EXPECT_TRUE(Has(bench.out, "by perfkit tune")) << bench.out;

  auto reset = RunCommand({PerfkitBinary(), "tune", "--reset", "--db", db});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_TRUE(Has(reset.out, "forgotten")) << reset.out;
  auto again = RunCommand({PerfkitBinary(), "tune", "--reset", "--db", db});
  EXPECT_TRUE(Has(again.out, "there was no tuning")) << again.out;
  auto defaults = RunCommand({PerfkitBinary(), "sysinfo", "--db", db});
  EXPECT_TRUE(Has(defaults.out, "none: the defaults")) << defaults.out;
}

TEST(Tune, BadStoreOrFlagsFailBeforeMeasuring) {
  auto nowhere =
      RunCommand({PerfkitBinary(), "tune", "--quick", "--db", "/nonexistent-perfkit/x/t.db"});
  EXPECT_NE(nowhere.exit_code, 0);
  EXPECT_TRUE(Has(nowhere.err, "/nonexistent-perfkit/x/t.db")) << nowhere.err;
  auto both = RunCommand({PerfkitBinary(), "tune", "--show", "--reset"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
}

}  // namespace
}  // namespace perfkit::testing
