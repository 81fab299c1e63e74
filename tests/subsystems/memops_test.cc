// Every memops engine against glibc (and so against the scalar engine, which
// is checked the same way): sizes 0..1024 at all source and destination
// alignments 0..63, powers of two up to 16 MiB, overlaps in both directions,
// differences at every position, and guard bytes that must stay untouched.
#include "subsystems/memops/memops.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <vector>

#include "subsystems/memops/memops_fixed.h"
#include "tests/subsystems/upper_halves.h"

namespace perfkit::memops {
namespace {

constexpr size_t kGuard = 64;
constexpr uint8_t kPattern = 0xA5;

std::vector<const Engine*> Engines() {
  std::vector<const Engine*> out;
  for (const Engine& e : AllEngines()) {
    if (e.available()) out.push_back(&e);
  }
  return out;
}

std::vector<uint8_t> Random(size_t n, unsigned seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

int Sign(int x) { return (x > 0) - (x < 0); }

// dst must equal want over [at, at+n) and hold kPattern in the guards.
::testing::AssertionResult Intact(const std::vector<uint8_t>& dst, size_t at, const uint8_t* want,
                                  size_t n) {
  if (n > 0 && std::memcmp(dst.data() + at, want, n) != 0) {
    return ::testing::AssertionFailure() << "wrong bytes";
  }
  for (size_t i = at - kGuard; i < at; ++i) {
    if (dst[i] != kPattern) return ::testing::AssertionFailure() << "guard before clobbered";
  }
  for (size_t i = at + n; i < at + n + kGuard; ++i) {
    if (dst[i] != kPattern) return ::testing::AssertionFailure() << "guard after clobbered";
  }
  return ::testing::AssertionSuccess();
}

// A copy, then a move, of src's n bytes to dst at `at`, each exact; dst is
// left as it was.
::testing::AssertionResult CopiesAndMovesExactly(const Engine& e, std::vector<uint8_t>& dst,
                                                 size_t at, const uint8_t* src, size_t n) {
  e.copy(dst.data() + at, src, n);
  ::testing::AssertionResult copied = Intact(dst, at, src, n);
  std::memset(dst.data() + at, kPattern, n);
  if (!copied) return copied << " (copy)";
  e.move(dst.data() + at, src, n);
  ::testing::AssertionResult moved = Intact(dst, at, src, n);
  std::memset(dst.data() + at, kPattern, n);
  if (!moved) return moved << " (move)";
  return ::testing::AssertionSuccess();
}

TEST(Memops, CopyAllSizesAndAlignments) {
  const auto src = Random(1024 + 64, 1);
  std::vector<uint8_t> dst(kGuard + 64 + 1024 + kGuard, kPattern);
  for (const Engine* e : Engines()) {
    for (size_t n = 0; n <= 1024; ++n) {
      for (size_t sa = 0; sa < 64; ++sa) {
        for (size_t da = 0; da < 64; ++da) {
          const size_t at = kGuard + da;
          ASSERT_EQ(e->copy(dst.data() + at, src.data() + sa, n), dst.data() + at);
          ASSERT_TRUE(Intact(dst, at, src.data() + sa, n))
              << e->name << " n=" << n << " sa=" << sa << " da=" << da;
          std::memset(dst.data() + at, kPattern, n);
        }
      }
    }
  }
}

TEST(Memops, SetAllSizesAndAlignments) {
  std::vector<uint8_t> dst(kGuard + 64 + 1024 + kGuard, kPattern);
  std::vector<uint8_t> want(1024);
  for (const Engine* e : Engines()) {
    for (int c : {0x00, 0x7f, 0x80, 0xff}) {
      std::memset(want.data(), c, want.size());
      for (size_t n = 0; n <= 1024; ++n) {
        for (size_t da = 0; da < 64; ++da) {
          const size_t at = kGuard + da;
          ASSERT_EQ(e->set(dst.data() + at, c, n), dst.data() + at);
          ASSERT_TRUE(Intact(dst, at, want.data(), n)) << e->name << " n=" << n << " da=" << da;
          std::memset(dst.data() + at, kPattern, n);
        }
      }
    }
  }
}

// Streaming stores take the same loop with other stores: with the threshold
// moved to 0 every size that reaches the loop streams.
TEST(Memops, StreamingStoresAtSmallSizesAndEveryAlignment) {
  const size_t threshold = NonTemporalThreshold();
  const auto src = Random(1024 + 64, 6);
  std::vector<uint8_t> dst(kGuard + 64 + 1024 + kGuard, kPattern);
  const std::vector<uint8_t> want(1024, 0x3c);
  {
    ScopedNonTemporalThreshold always(0);
    EXPECT_EQ(NonTemporalThreshold(), 0u);
    for (const Engine* e : Engines()) {
      for (size_t n = 0; n <= 1024; ++n) {
        for (size_t sa : {0, 1, 31, 63}) {
          for (size_t da : {0, 1, 17, 63}) {
            const size_t at = kGuard + da;
            e->copy(dst.data() + at, src.data() + sa, n);
            ASSERT_TRUE(Intact(dst, at, src.data() + sa, n))
                << e->name << " copy n=" << n << " sa=" << sa << " da=" << da;
            e->set(dst.data() + at, 0x3c, n);
            ASSERT_TRUE(Intact(dst, at, want.data(), n)) << e->name << " set n=" << n;
            std::memset(dst.data() + at, kPattern, n);
          }
        }
      }
    }
  }
  EXPECT_EQ(NonTemporalThreshold(), threshold);
}

// Streaming copies and disjoint moves long enough for whole pairs of pages
// (the AVX-512 engine's interleaved loop) and the bytes around them.
TEST(Memops, StreamingCopiesOfWholePagePairs) {
  const size_t max = 5 * 8192 + 300;
  const auto src = Random(max + 64, 8);
  std::vector<uint8_t> dst(kGuard + 64 + max + kGuard, kPattern);
  ScopedNonTemporalThreshold always(0);
  for (const Engine* e : Engines()) {
    for (size_t n : {size_t{8191}, size_t{8192}, size_t{8192 + 256}, size_t{8192 + 257},
                     size_t{16384 + 255}, size_t{3 * 8192 + 129}, max}) {
      for (auto [sa, da] : {std::pair<size_t, size_t>{0, 0}, {1, 63}, {33, 1}, {63, 17}}) {
        ASSERT_TRUE(CopiesAndMovesExactly(*e, dst, kGuard + da, src.data() + sa, n))
            << e->name << " n=" << n << " sa=" << sa << " da=" << da;
      }
    }
  }
}

// Intel's path, run here whatever the CPU: copies and disjoint moves past
// eight vectors by `rep movsb`, every size, both alignments, nothing outside
// the destination touched.
TEST(Memops, RepMovsbCopiesExactly) {
  const auto src = Random(2048 + 64, 3);
  std::vector<uint8_t> dst(kGuard + 64 + 2048 + kGuard, kPattern);
  ScopedRepMovsbFrom always(0);
  for (const Engine* e : Engines()) {
    for (size_t n = 0; n <= 2048; n += (n < 600 ? 1 : 13)) {
      for (size_t sa : {0, 1, 63}) {
        for (size_t da : {0, 17}) {
          ASSERT_TRUE(CopiesAndMovesExactly(*e, dst, kGuard + da, src.data() + sa, n))
              << e->name << " n=" << n << " sa=" << sa << " da=" << da;
        }
      }
    }
  }
}

// The same for sets past eight vectors by `rep stosb`.
TEST(Memops, RepStosbSetsExactly) {
  std::vector<uint8_t> dst(kGuard + 64 + 2048 + kGuard, kPattern);
  const std::vector<uint8_t> want(2048, 0xc3);
  ScopedRepStosbFrom always(0);
  EXPECT_EQ(RepStosbFrom(), 0u);
  for (const Engine* e : Engines()) {
    for (size_t n = 0; n <= 2048; n += (n < 600 ? 1 : 13)) {
      for (size_t da : {0, 1, 17, 63}) {
        const size_t at = kGuard + da;
        ASSERT_EQ(e->set(dst.data() + at, 0xc3, n), dst.data() + at);
        ASSERT_TRUE(Intact(dst, at, want.data(), n)) << e->name << " n=" << n << " da=" << da;
        std::memset(dst.data() + at, kPattern, n);
      }
    }
  }
}

TEST(Memops, MoveOverlapsInBothDirections) {
  const auto data = Random(4096, 2);
  for (const Engine* e : Engines()) {
    for (size_t n = 0; n <= 1024; n += (n < 300 ? 1 : 7)) {
      for (int shift = -70; shift <= 70; ++shift) {
        std::vector<uint8_t> buf(kGuard + 2048 + kGuard, kPattern);
        std::vector<uint8_t> want(buf.size(), kPattern);
        const size_t src = kGuard + 512;
        const size_t dst = static_cast<size_t>(static_cast<long>(src) + shift);
        std::memcpy(buf.data() + src, data.data(), n);
        std::memcpy(want.data() + src, data.data(), n);
        std::memmove(want.data() + dst, want.data() + src, n);
        ASSERT_EQ(e->move(buf.data() + dst, buf.data() + src, n), buf.data() + dst);
        ASSERT_EQ(buf, want) << e->name << " n=" << n << " shift=" << shift;
      }
    }
  }
}

TEST(Memops, CompareSignAndEveryDifferencePosition) {
  auto a = Random(1024 + 128, 3);
  for (const Engine* e : Engines()) {
    for (size_t n = 0; n <= 1024; ++n) {
      for (size_t align : {size_t{0}, size_t{1}, size_t{31}, size_t{63}}) {
        std::vector<uint8_t> b(a);
        const uint8_t* pa = a.data() + align;
        uint8_t* pb = b.data() + 64 - align % 64;
        std::memcpy(pb, pa, n);
        ASSERT_EQ(e->compare(pa, pb, n), 0) << e->name << " n=" << n;
        if (n > 300 && n % 37 != 0) continue;  // every position for a spread of sizes
        for (size_t pos = 0; pos < n; ++pos) {
          const uint8_t saved = pb[pos];
          const uint8_t orig = pa[pos];
          // 0x80 vs 0x7f: a signed-char compare would get the sign wrong.
          const_cast<uint8_t*>(pa)[pos] = 0x80;
          pb[pos] = 0x7f;
          ASSERT_EQ(Sign(e->compare(pa, pb, n)), 1) << e->name << " n=" << n << " pos=" << pos;
          ASSERT_EQ(Sign(e->compare(pb, pa, n)), -1) << e->name << " n=" << n << " pos=" << pos;
          const_cast<uint8_t*>(pa)[pos] = orig;
          pb[pos] = saved;
        }
      }
    }
  }
}

// With two differences of opposite sign, the first decides, wherever the two
// fall among the overlapping head and tail vectors.
TEST(Memops, CompareTheFirstOfTwoDifferencesDecides) {
  const auto a = Random(700, 5);
  for (const Engine* e : Engines()) {
    for (size_t n = 2; n <= 600; ++n) {
      for (size_t first : {size_t{0}, n / 3, n / 2, n - 2}) {
        for (size_t second = first + 1; second < n; second += (second + 8 < n ? 7 : 1)) {
          std::vector<uint8_t> x(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n));
          std::vector<uint8_t> y(x);
          x[first] = 0x80;
          y[first] = 0x7f;
          x[second] = 0x00;
          y[second] = 0xff;
          ASSERT_EQ(Sign(e->compare(x.data(), y.data(), n)), 1)
              << e->name << " n=" << n << " first=" << first << " second=" << second;
        }
      }
    }
  }
}

// Two readable pages, each followed by an inaccessible one: first_end() and
// second_end() are where reading or writing on would crash.
class PagesBeforeHoles {
 public:
  PagesBeforeHoles()
      : page_(static_cast<size_t>(sysconf(_SC_PAGESIZE))),
        map_(static_cast<uint8_t*>(mmap(nullptr, 4 * page_, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))) {}
  ~PagesBeforeHoles() {
    if (ok()) munmap(map_, 4 * page_);
  }
  PagesBeforeHoles(const PagesBeforeHoles&) = delete;
  PagesBeforeHoles& operator=(const PagesBeforeHoles&) = delete;

  bool ok() const { return map_ != MAP_FAILED; }
  bool Protect() {
    return mprotect(map_ + page_, page_, PROT_NONE) == 0 &&
           mprotect(map_ + 3 * page_, page_, PROT_NONE) == 0;
  }
  size_t page() const { return page_; }
  uint8_t* first_end() const { return map_ + page_; }
  uint8_t* second_end() const { return map_ + 3 * page_; }

 private:
  size_t page_;
  uint8_t* map_;
};

// Short copies and sets into, and copies from, the last bytes before an
// inaccessible page (one access too far would crash), starting anywhere in
// the page's last 64 bytes, where the AVX-512 engine's masked paths give way
// to the unmasked ones.
TEST(Memops, ShortCopiesAndSetsAtAPagesEnd) {
  PagesBeforeHoles pages;
  ASSERT_TRUE(pages.ok());
  ASSERT_TRUE(pages.Protect());
  const size_t page = pages.page();
  uint8_t* src_end = pages.first_end();
  uint8_t* dst_end = pages.second_end();
  const auto data = Random(page, 8);
  std::memcpy(src_end - page, data.data(), page);
  for (const Engine* e : Engines()) {
    for (size_t n = 0; n <= 64; ++n) {
      for (size_t slack = 0; slack <= 64 - n; ++slack) {
        uint8_t* d = dst_end - n - slack;
        const uint8_t* s = src_end - n - slack;
        std::memset(dst_end - 128, kPattern, 128);
        ASSERT_EQ(e->copy(d, s, n), d);
        ASSERT_EQ(std::memcmp(d, s, n), 0) << e->name << " n=" << n << " slack=" << slack;
        ASSERT_EQ(d[-1], kPattern) << e->name << " n=" << n << " slack=" << slack;
        if (slack > 0) ASSERT_EQ(d[n], kPattern) << e->name << " n=" << n;
        ASSERT_EQ(e->set(d, 0x3c, n), d);
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(d[i], 0x3c) << e->name << " n=" << n;
        ASSERT_EQ(d[-1], kPattern) << e->name << " n=" << n << " slack=" << slack;
        if (slack > 0) ASSERT_EQ(d[n], kPattern) << e->name << " n=" << n;
      }
    }
  }
}

// Short compares ending at the last byte before an inaccessible page (one
// read too far would crash) and starting anywhere in the page's last 64
// bytes, where the AVX-512 engine's masked loads give way to the AVX2 path.
TEST(Memops, ShortComparesAtAPagesEnd) {
  PagesBeforeHoles pages;
  ASSERT_TRUE(pages.ok());
  ASSERT_TRUE(pages.Protect());
  const size_t page = pages.page();
  uint8_t* a_end = pages.first_end();
  uint8_t* b_end = pages.second_end();
  const auto data = Random(page, 7);
  std::memcpy(a_end - page, data.data(), page);
  std::memcpy(b_end - page, data.data(), page);
  for (const Engine* e : Engines()) {
    for (size_t n = 0; n <= 64; ++n) {
      for (size_t slack = 0; slack <= 64 - n; ++slack) {
        uint8_t* pa = a_end - n - slack;
        uint8_t* pb = b_end - n - slack;
        ASSERT_EQ(e->compare(pa, pb, n), 0) << e->name << " n=" << n << " slack=" << slack;
        for (size_t pos = 0; pos < n; ++pos) {
          const uint8_t saved = pa[pos];
          pa[pos] = 0x7f;
          pb[pos] = 0x80;
          ASSERT_EQ(Sign(e->compare(pa, pb, n)), -1) << e->name << " n=" << n << " pos=" << pos;
          ASSERT_EQ(Sign(e->compare(pb, pa, n)), 1) << e->name << " n=" << n << " pos=" << pos;
          pa[pos] = pb[pos] = saved;
        }
      }
    }
  }
}

// Every path of every engine returns with the upper halves clean
// (vzeroupper), cached, `rep` and streaming alike: dirty, they cost the
// caller's SSE code, and a loop that took its vector as an argument had
// returned so.
TEST(Memops, EveryPathLeavesTheUpperHalvesClean) {
  if (!UpperHalvesInUse().has_value()) GTEST_SKIP() << "this CPU has no XGETBV with ECX=1";
  const size_t kMax = 1 << 20;
  const auto src = Random(kMax, 12);
  std::vector<uint8_t> dst(kMax);
  for (size_t stream_from : {NonTemporalThreshold(), size_t{0}}) {
    ScopedNonTemporalThreshold streaming(stream_from);
    for (const Engine* e : Engines()) {
      for (size_t n : {1, 16, 31, 33, 64, 100, 200, 300, 700, 3000, 40000, 1 << 20}) {
        EXPECT_TRUE(LeavesUpperHalvesClean([&] { e->copy(dst.data(), src.data(), n); }))
            << e->name << " copy n=" << n;
        int equal = -1;
        EXPECT_TRUE(LeavesUpperHalvesClean([&] { equal = e->compare(dst.data(), src.data(), n); }))
            << e->name << " compare n=" << n;
        EXPECT_EQ(equal, 0);  // so the compare ran the whole length
        EXPECT_TRUE(LeavesUpperHalvesClean([&] { e->move(dst.data() + 1, dst.data(), n - 1); }))
            << e->name << " move n=" << n;
        EXPECT_TRUE(LeavesUpperHalvesClean([&] { e->set(dst.data(), 0x3c, n); }))
            << e->name << " set n=" << n;
      }
    }
  }
}

TEST(Memops, LargeSizesAgainstGlibc) {
  const size_t max = size_t{16} << 20;
  const auto src = Random(max + 64, 4);
  std::vector<uint8_t> dst(kGuard + max + 64 + kGuard, kPattern);
  for (const Engine* e : Engines()) {
    for (size_t n = 2048; n <= max; n *= 2) {
      for (auto [sa, da] : {std::pair<size_t, size_t>{0, 0}, {1, 3}, {63, 17}}) {
        const size_t at = kGuard + da;
        e->copy(dst.data() + at, src.data() + sa, n);
        ASSERT_TRUE(Intact(dst, at, src.data() + sa, n)) << e->name << " copy n=" << n;
        ASSERT_EQ(e->compare(dst.data() + at, src.data() + sa, n), 0);
        dst[at + n - 1] ^= 1;
        ASSERT_EQ(Sign(e->compare(dst.data() + at, src.data() + sa, n)),
                  Sign(std::memcmp(dst.data() + at, src.data() + sa, n)));
        e->set(dst.data() + at, kPattern, n);
        ASSERT_TRUE(Intact(dst, at - 0, std::vector<uint8_t>(n, kPattern).data(), n));
        e->move(dst.data() + at + 1, dst.data() + at, n - 1);  // overlapping, backward
        e->move(dst.data() + at, dst.data() + at + 1, n - 1);  // forward
      }
    }
  }
}

TEST(Memops, FixedSizeCopies) {
  const auto src = Random(64, 5);
  uint8_t dst[64 + 2] = {};
  CopyFixed<1>(dst + 1, src.data());
  CopyFixed<2>(dst + 1, src.data());
  CopyFixed<4>(dst + 1, src.data());
  CopyFixed<8>(dst + 1, src.data());
  CopyFixed<16>(dst + 1, src.data());
  CopyFixed<32>(dst + 1, src.data());
  CopyFixed<64>(dst + 1, src.data());
  EXPECT_EQ(std::memcmp(dst + 1, src.data(), 64), 0);
  EXPECT_EQ(dst[0], 0);
  EXPECT_EQ(dst[65], 0);
}

TEST(Memops, DispatchAndThreshold) {
  EXPECT_TRUE(BestEngine().available());
  EXPECT_GE(NonTemporalThreshold(), size_t{1} << 20);
  char a[8] = "perfkit", b[8];
  Copy(b, a, 8);
  EXPECT_EQ(Compare(a, b, 8), 0);
  Set(b, 'x', 3);
  EXPECT_LT(Compare(a, b, 8), 0);
  Move(b + 1, b, 6);
  EXPECT_EQ(std::string(b, 7), "xxxxfki");
  for (const Engine& e : AllEngines()) {
    if (!e.available()) GTEST_LOG_(INFO) << e.name << " skipped: " << e.missing;
  }
}

// perfkit tune's thresholds replace the cache rule for copies and sets
// separately, and the rule comes back.
TEST(Memops, TunedStreamingThresholds) {
  const size_t copy = NonTemporalThreshold(), set = SetStreamingFrom();
  EXPECT_FALSE(StreamingTuned());
  UseStreamingThresholds(1000, 5000);
  EXPECT_TRUE(StreamingTuned());
  EXPECT_FALSE(CopyStreams(999));
  EXPECT_TRUE(CopyStreams(1000));
  EXPECT_FALSE(SetStreams(4999));
  EXPECT_TRUE(SetStreams(5000));
  UseStreamingThresholds(SIZE_MAX, SIZE_MAX);  // never
  EXPECT_FALSE(CopyStreams(SIZE_MAX - 1));
  EXPECT_FALSE(SetStreams(SIZE_MAX - 1));
  ResetStreamingThresholds();
  EXPECT_FALSE(StreamingTuned());
  EXPECT_EQ(NonTemporalThreshold(), copy);
  EXPECT_EQ(SetStreamingFrom(), set);
}

// perfkit tune's `rep movsb` threshold replaces the CPU rule, copies stay
// exact across it, and the rule comes back.
TEST(Memops, TunedRepMovsbThreshold) {
  const size_t rule = RepMovsbFrom();
  EXPECT_FALSE(RepMovsbTuned());
  UseRepMovsbFrom(4096);
  EXPECT_TRUE(RepMovsbTuned());
  EXPECT_EQ(RepMovsbFrom(), 4096u);
  const auto src = Random(8192, 5);
  for (size_t n : {4095, 4096, 8191}) {
    std::vector<uint8_t> dst(n, 0);
    Copy(dst.data(), src.data() + 1, n);
    EXPECT_EQ(std::memcmp(dst.data(), src.data() + 1, n), 0) << n;
  }
  ResetRepMovsbFrom();
  EXPECT_FALSE(RepMovsbTuned());
  EXPECT_EQ(RepMovsbFrom(), rule);
}

TEST(Memops, TunedRepStosbThreshold) {
  const size_t rule = RepStosbFrom();
  EXPECT_FALSE(RepStosbTuned());
  UseRepStosbFrom(4096);
  EXPECT_TRUE(RepStosbTuned());
  EXPECT_EQ(RepStosbFrom(), 4096u);
  for (size_t n : {4095, 4096, 8191}) {
    std::vector<uint8_t> dst(n + 1, 0);
    Set(dst.data() + 1, 0x3c, n);
    EXPECT_EQ(dst[0], 0) << n;
    EXPECT_EQ(std::count(dst.begin() + 1, dst.end(), 0x3c), static_cast<std::ptrdiff_t>(n)) << n;
  }
  ResetRepStosbFrom();
  EXPECT_FALSE(RepStosbTuned());
  EXPECT_EQ(RepStosbFrom(), rule);
}

}  // namespace
}  // namespace perfkit::memops
