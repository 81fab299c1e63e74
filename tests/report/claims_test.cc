// Claims travel with a run: out through Google Benchmark JSON and back (a
// hostile file's claims are refused with the entry named), into the
// report's Value / Target / Status tables and its list of changes, and into
// compare's summary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/claims_section.h"
#include "report/compare.h"
#include "report/exports.h"
#include "report/gbench_json.h"

namespace perfkit::report {
namespace {

ClaimResult Bound(double percent) {
  ClaimResult c;
  c.id = "crc32/bound";
  c.suite = "crc32";
  c.text = "CRC-32 at 64 KiB: " + std::to_string(percent) + "% of the bound";
  c.value = percent;
  c.has_value = true;
  c.unit = "% of the bound";
  c.target = ">= 95";
  c.status = percent >= 95 ? ClaimStatus::kMet : ClaimStatus::kNotMet;
  c.benchmarks = {"crc32/crc32/pclmul/65536"};
  return c;
}

RunRecord RunWith(int64_t id, std::vector<ClaimResult> claims) {
  RunRecord run;
  run.id = id;
  BenchmarkResult b;
  b.name = "crc32/crc32/pclmul/65536";
  b.suite = "crc32";
  for (int i = 0; i < 5; ++i) {
    Sample s;
    s.repetition_index = i;
    s.real_time_ns = 1000 + i;
    s.cpu_time_ns = 1000 + i;
    s.iterations = 100;
    b.samples.push_back(s);
  }
  run.benchmarks.push_back(b);
  run.claims = std::move(claims);
  return run;
}

TEST(Claims, TravelThroughGoogleBenchmarkJson) {
  const RunRecord run = RunWith(1, {Bound(97)});
  auto back = FromGbenchJson(ToGbenchJson(run), "x.json");
  ASSERT_TRUE(back.ok()) << back.error();
  ASSERT_EQ(back->claims.size(), 1u);
  EXPECT_EQ(back->claims[0].id, "crc32/bound");
  EXPECT_EQ(back->claims[0].status, ClaimStatus::kMet);
  EXPECT_DOUBLE_EQ(back->claims[0].value, 97);
  EXPECT_NE(ToClaimsCsv(run).find("crc32/bound,crc32,97,% of the bound,>= 95,met,"),
            std::string::npos)
      << ToClaimsCsv(run);

  auto doc = nlohmann::json::parse(ToGbenchJson(run));
  for (const auto& [bad, error] : std::vector<std::pair<nlohmann::json, std::string>>{
           {nlohmann::json::object(), "\"perfkit_claims\" is not an array"},
           {{{{"text", "no id"}}}, "perfkit_claims[0] is not an object with a string \"id\""},
           {{{{"id", "a"}, {"value", "high"}}}, "perfkit_claims[0].value is not a number"},
           {{{{"id", "a"}, {"status", "great"}}}, "perfkit_claims[0].status is not met"},
           {{{{"id", "a"}}, {{"id", "a"}}}, "perfkit_claims[1]: the id 'a' appears twice"},
       }) {
    doc["perfkit_claims"] = bad;
    auto r = FromGbenchJson(doc.dump(), "bad.json");
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_NE(r.error().find("bad.json: " + error), std::string::npos) << r.error();
  }
}

TEST(Claims, ReportTablesAndChanges) {
  ReportInput one;
  one.runs = {{"run", RunWith(1, {Bound(97)})}};
  const std::string table = ClaimsTable(one, "crc32");
  EXPECT_NE(table.find("| Claim | Value | Target | Status |"), std::string::npos) << table;
  EXPECT_NE(table.find("| 97 % of the bound | &gt;= 95 | met |"), std::string::npos) << table;
  EXPECT_EQ(ClaimsTable(one, "memops"), "");
  EXPECT_EQ(ClaimChangesSection(one), "");
  ClaimResult guests;
  guests.id = "virtio/guest-environment";
  guests.suite = "virtio";
  guests.text = "guests under KVM (works), QEMU 7.2.15, kernel 6.1.0-31-cloud-amd64, -smp 1";
  one.runs[0].run.claims.push_back(guests);
  EXPECT_NE(RenderMarkdown(one, {}, "")
                .find("| Guests (virtio) | guests under KVM (works), QEMU 7.2.15, kernel "
                      "6.1.0-31-cloud-amd64, -smp 1 |"),
            std::string::npos);

  ReportInput two;
  two.runs = {{"base", RunWith(1, {Bound(97)})}, {"candidate", RunWith(2, {Bound(90)})}};
  const std::string side = ClaimsTable(two, "crc32");
  EXPECT_NE(side.find("| 97 % of the bound | 90 % of the bound | &gt;= 95 | met → **not met** |"),
            std::string::npos)
      << side;
  const std::string changes = ClaimChangesSection(two);
  EXPECT_NE(changes.find("**No longer met:**"), std::string::npos) << changes;
  EXPECT_NE(changes.find("CRC-32 at 64 KiB (crc32): met → not met"), std::string::npos) << changes;
}

TEST(Claims, CompareListsStatusChangesLostFirst) {
  ClaimResult other = Bound(90);
  other.id = "crc32/other";
  ClaimResult other_after = Bound(99);
  other_after.id = "crc32/other";
  const auto changes =
      ClaimChanges(RunWith(1, {other, Bound(97)}), RunWith(2, {other_after, Bound(90)}));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].id, "crc32/bound");
  EXPECT_TRUE(changes[0].lost());
  EXPECT_FALSE(changes[1].lost());
  auto c = Compare(RunWith(1, {Bound(97)}), RunWith(2, {Bound(90)}), CompareOptions{});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->claims_compared, 1u);
  ASSERT_EQ(c->claim_changes.size(), 1u);
}

}  // namespace
}  // namespace perfkit::report
