// Claims end to end: bench stores each suite's claims with the run, runs
// counts them by status, export writes them (JSON and CSV), and compare lists the ones whose status
// changed, failing the gate on one no longer met only with --claims gate.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "baselines/store.h"
#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

TEST(ClaimsEndToEnd, StoredExportedAndGated) {
  TempDir dir;
  const std::string db = dir.File("perfkit.db");
  for (int i = 0; i < 2; ++i) {
    // Every CRC-32C engine: the one dispatch picks differs by CPU (pclmul or
    // hybrid on Zen 3, avx512 on a Xeon), and the claim needs it measured.
    auto bench = RunCommand({PerfkitBinary(), "bench", "--suite", "crc32", "--quick", "--filter",
                             "crc32c/[^/]+/(64|65536)$", "--db", db});
    ASSERT_EQ(bench.exit_code, 0) << bench.err;
    EXPECT_NE(bench.out.find("What the guides claim, measured here:"), std::string::npos);
  }
  auto json = RunCommand({PerfkitBinary(), "export", "1", "--db", db});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto claims = nlohmann::json::parse(json.out)["perfkit_claims"];
  ASSERT_FALSE(claims.empty()) << json.out.substr(0, 2000);
  const std::string id = claims[0]["id"];
  EXPECT_EQ(id.rfind("crc32/", 0), 0u) << id;
  auto runs = RunCommand({PerfkitBinary(), "runs", "--json", "--db", db});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  int64_t counted = 0;
  const auto listed = nlohmann::json::parse(runs.out);
  for (const auto& [status, count] : listed[0]["claims"].items()) counted += count.get<int64_t>();
  EXPECT_EQ(counted, static_cast<int64_t>(claims.size())) << runs.out;
  auto csv = RunCommand({PerfkitBinary(), "export", "1", "--format", "claims-csv", "--db", db});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_NE(csv.out.find("\n" + id + ",crc32,"), std::string::npos) << csv.out;

  // The first run met the claim, the second did not.
  {
    auto store = store::Store::Open(db);
    ASSERT_TRUE(store.ok()) << store.error();
    for (int64_t run : {1, 2}) {
      auto loaded = (*store)->LoadRun(std::to_string(run));
      ASSERT_TRUE(loaded.ok());
      for (ClaimResult& c : loaded->claims) {
        c.status = run == 1 ? ClaimStatus::kMet : ClaimStatus::kNotMet;
      }
      ASSERT_TRUE((*store)->SaveClaims(run, loaded->claims).ok());
    }
  }
  auto reported = RunCommand({PerfkitBinary(), "compare", "1", "2", "--db", db});
  EXPECT_EQ(reported.exit_code, 4) << reported.out;  // 3 repetitions: too few to judge
  EXPECT_NE(reported.out.find("NO LONGER MET: "), std::string::npos) << reported.out;
  auto gated = RunCommand({PerfkitBinary(), "compare", "1", "2", "--claims", "gate", "--db", db});
  EXPECT_EQ(gated.exit_code, 1) << gated.out;
  auto report = RunCommand(
      {PerfkitBinary(), "report", "--compare", "1", "2", "-o", dir.File("rep"), "--db", db});
  EXPECT_EQ(report.exit_code, 4) << report.err;
  const std::string md = ReadFileOrDie(dir.File("rep/report.md"));
  EXPECT_NE(md.find("## Claims that changed status"), std::string::npos) << md;
  EXPECT_NE(md.find("| Claim | Base | Candidate | Target | Status |"), std::string::npos);
}

}  // namespace
}  // namespace perfkit::testing
