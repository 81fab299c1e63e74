// What perfkit concludes on machines the tests do not run on: each snapshot
// in tests/machines/ (copies of ../shared/machines/, taken with cpuid -r -1
// and /sys) is replayed with `perfkit sysinfo --machine`, and the CPU,
// features, caches and engine choices must be those perfkit reported on
// that machine itself (its perfkit-sysinfo.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "subsystems/base/machine.h"
#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

namespace fs = std::filesystem;

// The lines a snapshot pins: what replay can know (never the measured PAUSE,
// the load, or knobs the snapshot does not carry).
const char* const kPinned[] = {"cpu",    "features",     "cpus",          "caches",
                               "tlbs",   "crc32 engine", "crc32c engine", "memops engine",
                               "kernel", "hypervisor"};

std::map<std::string, std::string> Rows(const std::string& text) {
  std::map<std::string, std::string> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() < 24) continue;
    std::string key = line.substr(0, 22);
    key.erase(key.find_last_not_of(' ') + 1);
    rows[key] = line.substr(23);
  }
  return rows;
}

std::vector<std::string> Snapshots() {
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(SourceDir() + "/tests/machines")) {
    if (e.is_directory()) dirs.push_back(e.path().filename().string());
  }
  return dirs;
}

class Snapshot : public ::testing::TestWithParam<std::string> {
 protected:
  std::string Dir() const { return SourceDir() + "/tests/machines/" + GetParam(); }
};

TEST_P(Snapshot, ReplayConcludesWhatPerfkitConcludedThere) {
  std::ifstream recorded_file(Dir() + "/perfkit-sysinfo.txt");
  std::stringstream recorded_text;
  recorded_text << recorded_file.rdbuf();
  const auto recorded = Rows(recorded_text.str());
  ASSERT_FALSE(recorded.empty()) << Dir();
  auto replay = RunCommand({PerfkitBinary(), "sysinfo", "--machine", Dir()});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const auto replayed = Rows(replay.out);
  EXPECT_EQ(replayed.at("replayed from"), Dir());
  for (const char* key : kPinned) {
    ASSERT_TRUE(recorded.count(key)) << key;
    ASSERT_TRUE(replayed.count(key)) << key << "\n" << replay.out;
    EXPECT_EQ(replayed.at(key), recorded.at(key)) << key;
  }
}

INSTANTIATE_TEST_SUITE_P(Machines, Snapshot, ::testing::ValuesIn(Snapshots()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = std::isalnum(c) ? c : '_';
                           return name;
                         });

// The figures the issues quote, read from the snapshots rather than trusted:
// a VM's CPUID L3 of the whole socket, over the two vCPUs CPUID says share
// it, sets the streaming threshold as glibc would (3/4 of 240 + 2 MiB).
TEST(Machines, TheXeonStreamsFromGlibcsShareOfItsL3AndRunsAvx512) {
  auto replay = RunCommand({PerfkitBinary(), "sysinfo", "--machine",
                            SourceDir() + "/tests/machines/intel-xeon-avx512-kvm"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const auto rows = Rows(replay.out);
  EXPECT_NE(rows.at("caches").find("L3 480 MiB"), std::string::npos);
  EXPECT_EQ(rows.at("memops engine").rfind("avx512 ", 0), 0u);
  EXPECT_NE(rows.at("memops engine").find("copies of 181 MiB"), std::string::npos);
  EXPECT_EQ(rows.at("crc32c engine").rfind("avx512 ", 0), 0u);
}

TEST(Machines, Zen3HasNoAvx512SoRunsTheAvx2AndVpclmulEngines) {
  auto replay = RunCommand({PerfkitBinary(), "sysinfo", "--machine",
                            SourceDir() + "/tests/machines/amd-epyc-zen3-avx2-kvm"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const auto rows = Rows(replay.out);
  EXPECT_EQ(rows.at("features").find("avx512"), std::string::npos);
  EXPECT_EQ(rows.at("memops engine").rfind("avx2 ", 0), 0u);
  EXPECT_EQ(rows.at("crc32 engine").rfind("vpclmul ", 0), 0u);
  EXPECT_EQ(rows.at("crc32c engine").rfind("hybrid ", 0), 0u);
}

TEST(Machines, ASnapshotWithoutCpuidIsOneLineAndExit3) {
  TempDir dir;
  auto replay = RunCommand({PerfkitBinary(), "sysinfo", "--machine", dir.path()});
  EXPECT_EQ(replay.exit_code, 3);
  EXPECT_NE(replay.err.find("cpuid-raw.txt"), std::string::npos) << replay.err;
  EXPECT_EQ(std::count(replay.err.begin(), replay.err.end(), '\n'), 1) << replay.err;
}

TEST(Machines, ACpuidDumpIsReadAsCpuidWouldAnswer) {
  auto leaves = ParseCpuidDump(
      "CPU:\n   0x00000000 0x00: eax=0x00000007 ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n"
      "   0x00000007 0x00: eax=0x00000000 ebx=0x00000020 ecx=0x00000000 edx=0x00000000\n"
      "CPU 1:\n   0x00000000 0x00: eax=0x00000001 ebx=0 ecx=0 edx=0\n");
  ASSERT_TRUE(leaves.ok()) << leaves.error();
  ASSERT_EQ(leaves->size(), 2u);  // the first CPU's only
  EXPECT_EQ(leaves->back().second.ebx, 0x20u);
  EXPECT_FALSE(ParseCpuidDump("   0x00000000 0x00: eax=zz ebx=0 ecx=0 edx=0\n").ok());
  EXPECT_FALSE(ParseCpuidDump("nothing here\n").ok());
}

}  // namespace
}  // namespace perfkit::testing
