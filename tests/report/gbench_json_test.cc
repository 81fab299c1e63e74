// Google Benchmark JSON: our export round-trips, real Google Benchmark output
// (NaN, Infinity, unknown fields, aggregates) imports, bad input is refused
// with a position.
#include "report/gbench_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace perfkit::report {
namespace {

RunRecord SampleRun() {
  RunRecord run;
  run.uuid = "u";
  run.started_at = "2026-01-01T00:00:00Z";
  run.host.hostname = "box";
  run.host.logical_cpus = 2;
  run.host.cpu_model = "AMD EPYC";
  run.host.cache_bytes = {{"L1d", 32768}, {"L2", 524288}};
  run.host.benchmark_build_type = "debug";
  for (const char* name : {"crc32/crc32c/sse42/64", "crc32/crc32c/isal/64"}) {
    BenchmarkResult b;
    b.name = name;
    b.suite = "crc32";
    b.role = std::string(name).find("isal") != std::string::npos ? Role::kPeer : Role::kOurs;
    for (int i = 0; i < 4; ++i) {
      Sample s;
      s.repetition_index = i;
      s.iterations = 100;
      s.real_time_ns = 10 + i;
      s.cpu_time_ns = 9 + i;
      s.counters["bytes_per_second"] = 6.4e9;
      b.samples.push_back(s);
    }
    run.benchmarks.push_back(b);
  }
  return run;
}

TEST(GbenchJson, ExportHasGoogleBenchmarkShape) {
  const auto doc = nlohmann::json::parse(ToGbenchJson(SampleRun()));
  ASSERT_TRUE(doc.contains("context"));
  EXPECT_EQ(doc["context"]["library_build_type"], "debug");
  const auto& bms = doc["benchmarks"];
  // 4 iterations + 4 aggregates per benchmark.
  ASSERT_EQ(bms.size(), 16u);
  EXPECT_EQ(bms[0]["run_type"], "iteration");
  EXPECT_EQ(bms[0]["repetitions"], 4);
  EXPECT_EQ(bms[3]["repetition_index"], 3);
  EXPECT_EQ(bms[0]["time_unit"], "ns");
  EXPECT_DOUBLE_EQ(bms[0]["bytes_per_second"].get<double>(), 6.4e9);  // counters flat
  EXPECT_EQ(bms[4]["run_type"], "aggregate");
  EXPECT_EQ(bms[4]["name"], "crc32/crc32c/sse42/64_mean");
  EXPECT_EQ(bms[5]["aggregate_name"], "median");
  EXPECT_DOUBLE_EQ(bms[5]["real_time"].get<double>(), 11.5);
}

TEST(GbenchJson, ExportImportRoundTrip) {
  const RunRecord run = SampleRun();
  auto back = FromGbenchJson(ToGbenchJson(run), "x.json");
  ASSERT_TRUE(back.ok()) << back.error();
  ASSERT_EQ(back->benchmarks.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto& a = run.benchmarks[i];
    const auto& b = back->benchmarks[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.role, b.role);
    EXPECT_EQ(b.suite, "crc32");
    ASSERT_EQ(a.samples.size(), b.samples.size());
    for (size_t k = 0; k < a.samples.size(); ++k) {
      EXPECT_DOUBLE_EQ(a.samples[k].real_time_ns, b.samples[k].real_time_ns);
      EXPECT_DOUBLE_EQ(a.samples[k].cpu_time_ns, b.samples[k].cpu_time_ns);
      EXPECT_EQ(a.samples[k].iterations, b.samples[k].iterations);
      EXPECT_EQ(a.samples[k].counters, b.samples[k].counters);
    }
  }
  EXPECT_EQ(back->host.cpu_model, "AMD EPYC");
}

// Shaped like Google Benchmark 1.7 output, including the tokens it writes for
// non-finite counters and fields newer versions add.
TEST(GbenchJson, ImportsRealOutputWithNanAndUnknownFields) {
  const std::string text = R"({
  "context": {"date": "2026-01-01T00:00:00+00:00", "host_name": "h", "num_cpus": 2,
              "caches": [{"type": "Data", "level": 1, "size": 32768, "num_sharing": 1}],
              "library_build_type": "release", "some_future_field": {"x": 1}},
  "benchmarks": [
    {"name": "BM_A/8", "family_index": 0, "per_family_instance_index": 0, "run_name": "BM_A/8",
     "run_type": "iteration", "repetitions": 2, "repetition_index": 0, "threads": 1,
     "iterations": 10, "real_time": 1.5, "cpu_time": 1.4, "time_unit": "us",
     "ratio": NaN, "peak": Infinity, "low": -Infinity, "new_field": "text"},
    {"name": "BM_A/8", "run_name": "BM_A/8", "run_type": "iteration", "repetitions": 2,
     "repetition_index": 1, "threads": 1, "iterations": 10, "real_time": 1.6,
     "cpu_time": 1.5, "time_unit": "us"},
    {"name": "BM_A/8_mean", "run_name": "BM_A/8", "run_type": "aggregate",
     "aggregate_name": "mean", "real_time": 1.55, "cpu_time": 1.45, "time_unit": "us"},
    {"name": "BM_Fail", "run_name": "BM_Fail", "run_type": "iteration",
     "error_occurred": true, "error_message": "no device"}
  ]
})";
  auto run = FromGbenchJson(text, "in.json");
  ASSERT_TRUE(run.ok()) << run.error();
  ASSERT_EQ(run->benchmarks.size(), 2u);
  const auto& a = run->benchmarks[0];
  ASSERT_EQ(a.samples.size(), 2u);
  EXPECT_DOUBLE_EQ(a.samples[0].real_time_ns, 1500);
  EXPECT_TRUE(std::isnan(a.samples[0].counters.at("ratio")));
  EXPECT_EQ(a.samples[0].counters.count("new_field"), 0u);
  EXPECT_EQ(run->benchmarks[1].error, "no device");
  EXPECT_EQ(run->host.cache_bytes.at("L1d"), 32768);
}

TEST(GbenchJson, InvalidJsonReportsLineAndColumn) {
  auto run = FromGbenchJson("{\n  \"benchmarks\": [NaN,\n  }\n", "bad.json");
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.error().find("bad.json at line 3, column 3"), std::string::npos) << run.error();
}

TEST(GbenchJson, RefusesOtherJson) {
  auto run = FromGbenchJson(R"({"name": "package.json"})", "p.json");
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.error().find("not Google Benchmark JSON"), std::string::npos);
  auto aggregates = FromGbenchJson(
      R"({"benchmarks": [{"name": "a_mean", "run_type": "aggregate", "real_time": 1, "cpu_time": 1}]})",
      "agg.json");
  ASSERT_FALSE(aggregates.ok());
  EXPECT_NE(aggregates.error().find("only aggregates"), std::string::npos);
}

// A file from elsewhere is hostile: a name that would act on the terminal
// it is printed on, an empty name, or nothing but failures is refused whole.
TEST(GbenchJson, RefusesNamesWithControlBytesEmptyNamesAndOnlyFailures) {
  const std::string entry =
      R"(, "iterations": 10, "real_time": 5, "cpu_time": 5, "time_unit": "ns"})";
  struct Case {
    std::string json;
    std::string error;
  };
  for (
      const Case& c : std::vector<Case>{
          // JSON's own escapes: the file is valid JSON, the name is not.
          {"{\"benchmarks\": [{\"name\": \"BM_\\u001b[2Jwipe\"" + entry + "]}",
           "x.json: benchmark name \"BM_\\u001b[2Jwipe\" holds a control byte (0x1b)"},
          {"{\"benchmarks\": [{\"name\": \"BM_\\u0007\"" + entry + "]}", "control byte (0x07)"},
          {R"({"benchmarks": [{"name": "")" + entry + "]}", "x.json: a benchmark has an empty"},
          {R"({"benchmarks": [{"name": "BM_a", "error_occurred": true, "error_message": "boom"}]})",
           "x.json: every benchmark in it failed (error_occurred): BM_a: boom"},
      }) {
    auto run = FromGbenchJson(c.json, "x.json");
    ASSERT_FALSE(run.ok()) << c.json;
    EXPECT_NE(run.error().find(c.error), std::string::npos) << run.error();
  }
}

}  // namespace
}  // namespace perfkit::report
