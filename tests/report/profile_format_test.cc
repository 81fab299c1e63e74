#include "report/profile_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "report/flamegraph.h"

namespace perfkit::report {
namespace {

std::vector<ProfileStack> Sample() {
  return {{{"app", "main", "a"}, 70}, {{"app", "main", "b"}, 20}, {{"app", "main", "a", "c"}, 10}};
}

TEST(Folded, OneLinePerStackWithItsCount) {
  const std::string folded = FoldedStacks(Sample());
  EXPECT_EQ(folded, "app;main;a 70\napp;main;b 20\napp;main;a;c 10\n");
  std::istringstream lines(folded);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(std::regex_match(line, std::regex("^.+ [0-9]+$"))) << line;
  }
  auto parsed = ParseFolded(folded);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[2].frames, (std::vector<std::string>{"app", "main", "a", "c"}));
  EXPECT_EQ((*parsed)[2].count, 10u);
}

TEST(Folded, SemicolonsInNamesDoNotSplitFrames) {
  EXPECT_EQ(FoldedStacks({{{"app", "f<a;b>"}, 1}}), "app;f<a:b> 1\n");
}

TEST(Folded, BadLinesAreNamed) {
  EXPECT_EQ(ParseFolded("a;b 1\nnot a count\n").error(), "line 2 is not 'frame;frame;... COUNT'");
  EXPECT_FALSE(ParseFolded("a;b -3\n").ok());
}

TEST(Hotspots, SelfAndTotalShares) {
  const std::string table = HotspotTable(Sample());
  EXPECT_NE(table.find(" 70.0%   80.0%  a\n"), std::string::npos) << table;
  EXPECT_NE(table.find(" 20.0%   20.0%  b\n"), std::string::npos) << table;
  EXPECT_NE(table.find(" 10.0%   10.0%  c\n"), std::string::npos) << table;
}

}  // namespace
}  // namespace perfkit::report

namespace perfkit::report {
namespace {

TEST(FlameGraph, FramesCarryTooltipsAndStableColours) {
  const std::vector<ProfileStack> stacks = {{{"app", "main", "a"}, 70}, {{"app", "main", "b"}, 30}};
  FlameGraphOptions options;
  options.title = "t & <u>";
  const std::string svg = FlameGraphSvg(stacks, options);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<title>a (70 samples, 70.00%)</title>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("<title>main (100 samples, 100.00%)</title>"), std::string::npos);
  EXPECT_NE(svg.find("t &amp; &lt;u&gt;"), std::string::npos);
  EXPECT_EQ(svg, FlameGraphSvg(stacks, options));  // deterministic, colours included
  // A frame narrower than --minwidth is left out.
  options.min_width_px = 500;
  const std::string narrow = FlameGraphSvg(stacks, options);
  EXPECT_EQ(narrow.find("<title>b ("), std::string::npos);
  EXPECT_NE(narrow.find("<title>a ("), std::string::npos);
}

}  // namespace
}  // namespace perfkit::report

namespace perfkit::report {
namespace {

TEST(Speedscope, SharedFramesAndWeightedSamples) {
  const auto doc = nlohmann::json::parse(
      SpeedscopeJson({{{"app", "main", "a"}, 70}, {{"app", "main", "b"}, 30}}, "app (task-clock)"));
  EXPECT_EQ(doc["$schema"], "https://www.speedscope.app/file-format-schema.json");
  ASSERT_EQ(doc["shared"]["frames"].size(), 4u);
  EXPECT_EQ(doc["shared"]["frames"][3]["name"], "b");
  const auto& p = doc["profiles"][0];
  EXPECT_EQ(p["type"], "sampled");
  EXPECT_EQ(p["samples"], nlohmann::json::parse("[[0,1,2],[0,1,3]]"));
  EXPECT_EQ(p["weights"], nlohmann::json::parse("[70,30]"));
  EXPECT_EQ(p["endValue"], 100);
}

}  // namespace
}  // namespace perfkit::report
