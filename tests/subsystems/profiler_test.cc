// The profiler against outside references: the names it gives sampled
// addresses of the test workload against `addr2line -f -C` (binutils, which
// reads DWARF), and DWARF unwinding through libc's qsort.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "subsystems/profiler/perf_map.h"
#include "subsystems/profiler/sampler.h"
#include "subsystems/profiler/symbolizer.h"

namespace perfkit::profiler {
namespace {

std::string Workload() {
  return (std::filesystem::path(PERFKIT_BINARY_DIR) / "bin" / "profile_workload").string();
}

Result<RawProfile> Sample(const std::vector<std::string>& argv, CallGraph graph) {
  SamplerOptions options;
  options.call_graph = graph;
  options.note_fallback = false;
  auto run = ProfileCommand(argv, options);
  if (!run.ok()) return run.status();
  return std::move(run->profile);
}

TEST(Symbolizer, AgreesWithAddr2lineOnSampledAddresses) {
  if (std::system("command -v addr2line >/dev/null") != 0) GTEST_SKIP() << "no addr2line";
  const std::string workload = Workload();
  auto raw = Sample({workload, "3000"}, CallGraph::kDwarf);
  if (!raw.ok()) GTEST_SKIP() << "perf_event_open is not allowed here: " << raw.error();
  // Each sampled address inside the workload's own text, as a file address
  // (the executable is PIE: subtract its load bias).
  std::map<uint64_t, uint64_t> addresses;  // file address -> samples
  const std::string canonical = std::filesystem::canonical(workload).string();
  std::vector<Mapping> maps;
  // Every frame counts: callers' return addresses are looked up one byte
  // back, inside their call instruction, by both sides.
  for (const RawSample& s : raw->samples) {
    for (size_t i = 0; i < s.ips.size(); ++i) {
      const uint64_t ip = s.ips[i] - (i > 0 ? 1 : 0);
      for (const Mapping& m : raw->mappings[s.pid]) {
        if (m.path != canonical || ip < m.start || ip >= m.start + m.length) continue;
        ++addresses[ip - m.start + m.pgoff];  // text: p_vaddr == p_offset
        maps = raw->mappings[s.pid];
      }
    }
  }
  ASSERT_GE(addresses.size(), 3u);  // the three hot loops are a few instructions each
  std::ostringstream list;
  for (const auto& [address, n] : addresses) list << std::hex << "0x" << address << "\n";
  // A name of its own: a fixed one in /tmp could be someone else's file.
  std::string input = testing::TempDir() + "/perfkit-addresses-XXXXXX";
  const int fd = mkstemp(input.data());
  ASSERT_GE(fd, 0) << input;
  const std::string text = list.str();
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  ASSERT_TRUE(written) << input;
  FILE* out = popen(("addr2line -f -C -e '" + workload + "' < " + input).c_str(), "r");
  ASSERT_NE(out, nullptr);
  Symbolizer symbolizer;
  uint64_t agree = 0, total = 0;
  char function[4096], line[4096];
  for (const auto& [address, n] : addresses) {
    if (!std::fgets(function, sizeof function, out) || !std::fgets(line, sizeof line, out)) break;
    std::string theirs(function);
    theirs.pop_back();
    // Our answer for the same address, through the run's own mappings.
    uint64_t live = 0;
    for (const Mapping& m : maps) {
      if (m.path == canonical && address >= m.pgoff && address < m.pgoff + m.length) {
        live = m.start + address - m.pgoff;
      }
    }
    const std::string ours = symbolizer.Name(maps, live, false);
    total += n;
    if (ours == theirs) {
      agree += n;
    } else {
      ADD_FAILURE() << std::hex << address << ": ours '" << ours << "', addr2line '" << theirs
                    << "'";
    }
  }
  pclose(out);
  std::remove(input.c_str());
  const double share = 100.0 * agree / std::max<uint64_t>(total, 1);
  std::printf("names agreeing with addr2line: %.2f%% of %llu frames (%zu addresses)\n", share,
              static_cast<unsigned long long>(total), addresses.size());
  EXPECT_GT(total, 300u);
  EXPECT_GE(share, 99.0);
}

// libc's qsort has no frame pointers: only DWARF finds SortMany above the
// comparisons.
TEST(Unwinder, DwarfFindsCallersThroughLibc) {
  auto share_under_sort = [](CallGraph graph) -> double {
    auto raw = Sample({Workload(), "qsort", "800"}, graph);
    if (!raw.ok()) return -1;
    const Profile p = Symbolize(*raw);
    uint64_t under = 0;
    for (const ProfileStack& s : p.stacks) {
      for (const std::string& f : s.frames) {
        if (f == "SortMany(long)") {
          under += s.count;
          break;
        }
      }
    }
    return 100.0 * under / std::max<uint64_t>(p.samples, 1);
  };
  const double dwarf = share_under_sort(CallGraph::kDwarf);
  if (dwarf < 0) GTEST_SKIP() << "perf_event_open is not allowed here";
  const double fp = share_under_sort(CallGraph::kFramePointers);
  std::printf("samples under SortMany: dwarf %.1f%%, frame pointers %.1f%%\n", dwarf, fp);
  EXPECT_GE(dwarf, 95.0);
  EXPECT_LT(fp, dwarf);
}

}  // namespace
}  // namespace perfkit::profiler

namespace perfkit::profiler {
namespace {

// Every PLT stub is named as objdump names it, `func@plt`; none is claimed
// by a symbol of size 0 before them (`_init`).
TEST(Symbolizer, PltStubsAreNamedAsObjdumpNamesThem) {
  const std::string binary = std::string(PERFKIT_BINARY_DIR) + "/bin/profile_workload";
  FILE* p = popen(("objdump -d -j .plt.sec -j .plt " + binary + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) GTEST_SKIP() << "no objdump";
  std::map<uint64_t, std::string> stubs;
  char line[512];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    unsigned long long address = 0;
    char name[400];
    // "<func@plt>", not the resolver stub objdump calls "<first@plt-0x10>".
    const size_t n =
        std::sscanf(line, "%llx <%399[^>]>:", &address, name) == 2 ? std::strlen(name) : 0;
    if (n > 4 && std::strcmp(name + n - 4, "@plt") == 0) {
      stubs[address] = name;
    }
  }
  pclose(p);
  if (stubs.empty()) GTEST_SKIP() << "objdump lists no PLT stubs in " << binary;
  // Mapped where its file offsets are its addresses (a PIE's first pages).
  const std::vector<Mapping> maps = {{0, 1 << 20, 0, binary}};
  Symbolizer symbolizer;
  for (const auto& [address, name] : stubs) {
    EXPECT_EQ(symbolizer.Name(maps, address + 4, false), name) << std::hex << address;
  }
}

TEST(PerfMap, NamesJitCodeAndRefusesWhatCouldBreakAStack) {
  const PerfMap map = PerfMap::FromText(
      "7f0000001000 40 JS:*fib /app.js:1\n"
      "0x7f0000002000 0x10 LazyCompile:a;b\n"
      "garbage line\n"
      "7f0000003000 0 zero-sized\n");
  EXPECT_EQ(map.Name(0x7f0000001000), "JS:*fib /app.js:1");
  EXPECT_EQ(map.Name(0x7f000000103f), "JS:*fib /app.js:1");
  EXPECT_EQ(map.Name(0x7f0000001040), "");
  EXPECT_EQ(map.Name(0x7f0000002008), "LazyCompile:a?b");  // ';' separates folded frames
  EXPECT_EQ(map.Name(0x7f0000003000), "");
}

}  // namespace
}  // namespace perfkit::profiler
