// CRC engines against published check values and against zlib, ISA-L and
// libdeflate as oracles.
#include "subsystems/crc32/crc32.h"

#include <gtest/gtest.h>
#include <isa-l/crc.h>
#include <libdeflate.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tests/subsystems/upper_halves.h"

namespace perfkit::crc32 {
namespace {

const std::string kCheck = "123456789";

std::vector<const Engine*> Engines(Kind kind) {
  std::vector<const Engine*> out;
  for (const Engine& e : AllEngines()) {
    if (e.kind == kind && e.available()) out.push_back(&e);
  }
  return out;
}

uint32_t ZlibCrc32(const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(::crc32(0, p, static_cast<uInt>(n)));
}

uint32_t IsalCrc32c(const uint8_t* p, size_t n) {
  // ISA-L's crc32_iscsi takes and returns the raw register.
  return ~crc32_iscsi(const_cast<uint8_t*>(p), static_cast<int>(n), ~0u);
}

std::vector<uint8_t> RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(Crc32, CheckValueEveryEngine) {
  for (const Engine* e : Engines(Kind::kCrc32)) {
    EXPECT_EQ(e->fn(0, kCheck.data(), kCheck.size()), 0xCBF43926u) << e->name;
  }
  for (const Engine* e : Engines(Kind::kCrc32c)) {
    EXPECT_EQ(e->fn(0, kCheck.data(), kCheck.size()), 0xE3069283u) << e->name;
  }
}

// RFC 3720 appendix B.4.
TEST(Crc32, Rfc3720Vectors) {
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xff), inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<uint8_t>(i);
    dec[i] = static_cast<uint8_t>(31 - i);
  }
  for (const Engine* e : Engines(Kind::kCrc32c)) {
    EXPECT_EQ(e->fn(0, zeros.data(), 32), 0x8A9136AAu) << e->name;
    EXPECT_EQ(e->fn(0, ones.data(), 32), 0x62A8AB43u) << e->name;
    EXPECT_EQ(e->fn(0, inc.data(), 32), 0x46DD794Eu) << e->name;
    EXPECT_EQ(e->fn(0, dec.data(), 32), 0x113FDB5Cu) << e->name;
  }
}

// Every length 0..4096 at every start alignment 0..63, against the oracles.
TEST(Crc32, AllEnginesMatchOraclesAllLengthsAndAlignments) {
  const auto data = RandomBytes(4096 + 64, 1);
  const auto crc32_engines = Engines(Kind::kCrc32);
  const auto crc32c_engines = Engines(Kind::kCrc32c);
  for (size_t align = 0; align < 64; ++align) {
    const uint8_t* p = data.data() + align;
    for (size_t n = 0; n <= 4096; ++n) {
      const uint32_t want = ZlibCrc32(p, n);
      ASSERT_EQ(libdeflate_crc32(0, p, n), want);
      ASSERT_EQ(crc32_gzip_refl(0, p, n), want);
      for (const Engine* e : crc32_engines) {
        ASSERT_EQ(e->fn(0, p, n), want) << e->name << " n=" << n << " align=" << align;
      }
      const uint32_t want_c = IsalCrc32c(p, n);
      for (const Engine* e : crc32c_engines) {
        ASSERT_EQ(e->fn(0, p, n), want_c) << e->name << " n=" << n << " align=" << align;
      }
    }
  }
}

// Large buffers cross the chunking of the multi-stream engines, and pass
// the L2 size, from where the 512-bit CRC-32C engine runs its hybrid on
// Intel.
TEST(Crc32, LargeBuffersAndChaining) {
  const auto data = RandomBytes((4 << 20) + 777, 2);
  const uint32_t want = ZlibCrc32(data.data(), data.size());
  const uint32_t want_c = IsalCrc32c(data.data(), data.size());
  for (const Engine& e : AllEngines()) {
    if (!e.available()) continue;
    const uint32_t expect = e.kind == Kind::kCrc32 ? want : want_c;
    EXPECT_EQ(e.fn(0, data.data(), data.size()), expect) << e.name;
    const size_t split = 100003;
    const uint32_t a = e.fn(0, data.data(), split);
    EXPECT_EQ(e.fn(a, data.data() + split, data.size() - split), expect) << e.name;
  }
}

// Every size where an engine changes its path or its chunking: the hybrid's
// start, two strides, a whole chunk of streams and one byte either side.
TEST(Crc32, SizesAtEveryPathBoundary) {
  const auto data = RandomBytes(600000, 4);
  for (size_t base : {size_t{8192}, size_t{2 * 352}, size_t{2 * 544}, size_t{512 * 352},
                      size_t{512 * 352 + 2 * 352}, size_t{256 * 544}, size_t{65536}, size_t{589823},
                      size_t{192}}) {
    for (size_t n = base - 1; n <= base + 1; ++n) {
      const uint32_t want = ZlibCrc32(data.data(), n);
      const uint32_t want_c = IsalCrc32c(data.data(), n);
      for (const Engine& e : AllEngines()) {
        if (!e.available()) continue;
        EXPECT_EQ(e.fn(0, data.data(), n), e.kind == Kind::kCrc32 ? want : want_c)
            << e.name << " n=" << n;
      }
    }
  }
}

// Inputs that start where a page starts and end where one ends, with
// inaccessible pages either side: the folds read their last bytes as a
// whole block that ends at the input's end and their first as one that
// starts at its start, never a byte outside it (one would crash here).
TEST(Crc32, InputsBetweenInaccessiblePages) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto* map = static_cast<uint8_t*>(
      mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(map, MAP_FAILED);
  ASSERT_EQ(mprotect(map, page, PROT_NONE), 0);
  ASSERT_EQ(mprotect(map + 2 * page, page, PROT_NONE), 0);
  uint8_t* start = map + page;
  const auto data = RandomBytes(page, 5);
  std::copy(data.begin(), data.end(), start);
  for (size_t n = 0; n <= 600; ++n) {
    for (const uint8_t* p : {start, start + page - n}) {
      const uint32_t want = ZlibCrc32(p, n);
      const uint32_t want_c = IsalCrc32c(p, n);
      for (const Engine& e : AllEngines()) {
        if (!e.available()) continue;
        ASSERT_EQ(e.fn(0, p, n), e.kind == Kind::kCrc32 ? want : want_c)
            << e.name << " n=" << n << (p == start ? " from a page's start" : " to a page's end");
      }
    }
  }
  munmap(map, 3 * page);
}

// Every engine returns from every path with the upper halves clean
// (vzeroupper): dirty, they cost the caller's SSE code.
TEST(Crc32, EveryPathLeavesTheUpperHalvesClean) {
  if (!UpperHalvesInUse().has_value()) GTEST_SKIP() << "this CPU has no XGETBV with ECX=1";
  const auto data = RandomBytes(3 << 20, 6);
  for (const Engine& e : AllEngines()) {
    if (!e.available()) continue;
    for (size_t n :
         {size_t{0}, size_t{8}, size_t{16}, size_t{40}, size_t{64}, size_t{100}, size_t{128},
          size_t{200}, size_t{256}, size_t{1500}, size_t{9000}, size_t{70000}, data.size()}) {
      volatile uint32_t crc = 0;
      EXPECT_TRUE(LeavesUpperHalvesClean([&] { crc = e.fn(0, data.data(), n); }))
          << e.name << " " << KindName(e.kind) << " n=" << n;
    }
  }
}

TEST(Crc32, CombineMatchesWholeBuffer) {
  const auto data = RandomBytes(10000, 3);
  for (Kind kind : {Kind::kCrc32, Kind::kCrc32c}) {
    const uint32_t whole = Compute(kind, 0, data.data(), data.size());
    for (size_t split : {size_t{0}, size_t{1}, size_t{17}, size_t{4096}, data.size()}) {
      const uint32_t a = Compute(kind, 0, data.data(), split);
      const uint32_t b = Compute(kind, 0, data.data() + split, data.size() - split);
      EXPECT_EQ(Combine(kind, a, b, data.size() - split), whole) << split;
    }
  }
  EXPECT_EQ(Combine(Kind::kCrc32, 0xCBF43926u, 0, 0), 0xCBF43926u);
  EXPECT_EQ(static_cast<uint32_t>(crc32_combine(0x12345678, 0x9abcdef0, 1 << 20)),
            Combine(Kind::kCrc32, 0x12345678, 0x9abcdef0, 1 << 20));
}

// A CPU with SSE4.2 but no PCLMULQDQ (Nehalem, or a VM's CPU model that
// hides it) gets the crc32 instruction in one stream: the three-stream merge
// multiplies, which would fault there.
TEST(Crc32, WithoutCarryLessMultiplyCrc32cRunsOneStream) {
  if (!GetCpuFeatures().sse42) GTEST_SKIP() << "this CPU has no SSE4.2";
  CpuFeatures f;
  f.sse2 = f.sse42 = true;
  const Engine e = BestEngineFor(Kind::kCrc32c, f);
  EXPECT_EQ(e.name, "sse42");
  EXPECT_NE(e.by_size.find("no PCLMULQDQ"), std::string_view::npos) << e.by_size;
  const auto data = RandomBytes(70000, 5);
  for (size_t n : {size_t{0}, size_t{7}, size_t{191}, size_t{192}, size_t{4096}, size_t{70000}}) {
    EXPECT_EQ(e.fn(0, data.data(), n), IsalCrc32c(data.data(), n)) << n;
  }
  for (const Engine& here : AllEngines()) {
    if (here.name != "sse42" || !GetCpuFeatures().pclmulqdq) continue;
    EXPECT_NE(here.by_size.find("three crc32 streams"), std::string_view::npos) << here.by_size;
  }
}

TEST(Crc32, BestEngineIsAvailable) {
  EXPECT_TRUE(BestEngine(Kind::kCrc32).available());
  EXPECT_TRUE(BestEngine(Kind::kCrc32c).available());
  for (const Engine& e : AllEngines()) {
    if (!e.available()) {
      GTEST_LOG_(INFO) << e.name << " skipped: " << e.missing;
    }
  }
}

// perfkit tune's bands: dispatch runs the named engine in each band and
// every size still gets the right CRC; bad bands change nothing.
TEST(Crc32, TunedBandsDispatchByTheBandsAndStayCorrect) {
  for (Kind kind : {Kind::kCrc32, Kind::kCrc32c}) {
    const std::vector<const Engine*> engines = Engines(kind);
    std::vector<Band> bands;
    for (size_t i = 0; i < engines.size(); ++i) bands.push_back({i * 64, engines[i]->name});
    ASSERT_TRUE(UseBands(kind, bands).ok());
    EXPECT_TRUE(Tuned(kind));
    for (size_t i = 0; i < engines.size(); ++i) {
      EXPECT_EQ(EngineAt(kind, i * 64).name, engines[i]->name);
      EXPECT_EQ(EngineAt(kind, i * 64 + 63).name, engines[i]->name);
    }
    const auto data = RandomBytes(4096, 9);
    for (size_t n = 0; n <= 4096; n += (n < 600 ? 1 : 97)) {
      const uint32_t want =
          kind == Kind::kCrc32 ? ZlibCrc32(data.data(), n) : IsalCrc32c(data.data(), n);
      ASSERT_EQ(Compute(kind, 0, data.data(), n), want) << KindName(kind) << " n=" << n;
    }
    const std::vector<Band> bad[] = {
        {},                                              // none
        {{16, engines[0]->name}},                        // not from 0
        {{0, "nosuch"}},                                 // not built in
        {{0, engines[0]->name}, {0, engines[0]->name}},  // out of order
    };
    for (const auto& b : bad) EXPECT_FALSE(UseBands(kind, b).ok());
    EXPECT_EQ(Bands(kind).size(), bands.size());  // the good ones still stand
    ClearBands(kind);
    EXPECT_FALSE(Tuned(kind));
    EXPECT_EQ(&EngineAt(kind, 100), &BestEngine(kind));
  }
}

}  // namespace
}  // namespace perfkit::crc32
