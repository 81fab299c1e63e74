// The platform subsystem: the flag and counter primitives give exact totals
// with threads racing (run under PERFKIT_SANITIZE=thread too), the branchless
// forms agree with the branchy ones, the zero-copy format round-trips byte
// for byte and rejects every truncation and corruption, and the machine
// facts (caches, huge pages) read from a fake /sys.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "subsystems/base/cpu_caches.h"
#include "subsystems/base/machine.h"
#include "subsystems/platform/atomics.h"
#include "subsystems/platform/branches.h"
#include "subsystems/platform/hugepages.h"
#include "subsystems/platform/timing.h"
#include "subsystems/platform/zero_copy.h"

namespace perfkit::platform {
namespace {

namespace fs = std::filesystem;

// ---- atomics ----

TEST(Flag, ExactlyOneWinnerAmongRacingThreads) {
  using Op = uint8_t (*)(std::atomic<uint8_t>*);
  for (Op op : {Op{&LockXchgFlag}, Op{&ExchangeFlag}, Op{&TestAndTestAndSetFlag}}) {
    for (int round = 0; round < 200; ++round) {
      std::atomic<uint8_t> flag{0};
      std::atomic<int> winners{0}, ready{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
          ready.fetch_add(1);
          while (ready.load() < 4) std::this_thread::yield();  // two CPUs, four threads
          if (op(&flag) == 0) winners.fetch_add(1);
        });
      }
      for (auto& t : threads) t.join();
      ASSERT_EQ(winners.load(), 1) << "round " << round;
      ASSERT_EQ(flag.load(), 1);
    }
  }
}

TEST(Counters, LockedAddsFromManyThreadsAreExact) {
  std::atomic<uint64_t> counter{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { AddLocked(&counter, 250000); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.load(), 1000000u);
}

TEST(Counters, UnlockedAddsOnOneLineFromTwoWritersAreExactPerCounter) {
  // The false-sharing layout: two counters, one writer each, same line.
  alignas(64) std::atomic<uint64_t> pair[2] = {0, 0};
  std::thread other([&] { AddUnlocked(&pair[1], 500000); });
  AddUnlocked(&pair[0], 500000);
  other.join();
  EXPECT_EQ(pair[0].load(), 500000u);
  EXPECT_EQ(pair[1].load(), 500000u);
}

// ---- branches ----

TEST(Branches, BranchlessAgreesWithBranchy) {
  std::mt19937 rng(7);
  for (size_t n : {size_t{0}, size_t{1}, size_t{31}, size_t{1000}}) {
    std::vector<int32_t> v(n), a(n), b(n);
    for (size_t i = 0; i < n; ++i) {
      v[i] = static_cast<int32_t>(rng()) >> (i % 3 == 0 ? 0 : 8);  // negatives, extremes
      a[i] = static_cast<int32_t>(rng());
      b[i] = static_cast<int32_t>(rng());
    }
    if (n > 2) v[1] = INT32_MIN, v[2] = INT32_MAX;
    std::vector<int32_t> x(n), y(n);
    MinBranchy(v.data(), a.data(), x.data(), n);
    MinBranchless(v.data(), a.data(), y.data(), n);
    EXPECT_EQ(x, y);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(x[i], std::min(v[i], a[i]));
    SelectBranchy(v.data(), a.data(), b.data(), x.data(), n, 0);
    SelectBranchless(v.data(), a.data(), b.data(), y.data(), n, 0);
    EXPECT_EQ(x, y);
    const size_t below = PartitionBranchy(v.data(), x.data(), n, 0);
    EXPECT_EQ(PartitionBranchless(v.data(), y.data(), n, 0), below);
    EXPECT_EQ(below, static_cast<size_t>(
                         std::count_if(v.begin(), v.end(), [](int32_t e) { return e < 0; })));
    // Both put the same elements on each side (order within a side may differ).
    for (auto* out : {&x, &y}) {
      std::vector<int32_t> low(out->begin(), out->begin() + static_cast<ptrdiff_t>(below));
      std::vector<int32_t> high(out->begin() + static_cast<ptrdiff_t>(below), out->end());
      EXPECT_TRUE(std::all_of(low.begin(), low.end(), [](int32_t e) { return e < 0; }));
      EXPECT_TRUE(std::all_of(high.begin(), high.end(), [](int32_t e) { return e >= 0; }));
      std::vector<int32_t> all = *out, want = v;
      std::sort(all.begin(), all.end());
      std::sort(want.begin(), want.end());
      EXPECT_EQ(all, want);
    }
  }
}

// ---- zero-copy messages ----

struct alignas(64) Buffer {
  uint8_t bytes[8192];
};

size_t BuildSample(Buffer& buf, std::string_view name, size_t values) {
  auto builder = MessageBuilder::Start(buf.bytes, sizeof buf.bytes, name, values);
  EXPECT_TRUE(builder.ok()) << builder.status().message();
  builder->set_id(0x0123456789abcdefULL);
  builder->set_timestamp_ns(-42);
  builder->set_scale(0.125);
  builder->set_flags(7);
  for (size_t i = 0; i < values; ++i) builder->values()[i] = static_cast<float>(i) * 0.5f - 3;
  return builder->size();
}

TEST(ZeroCopy, RoundTripsByteExactly) {
  for (size_t values : {size_t{0}, size_t{1}, size_t{1000}}) {
    for (std::string_view name : {"", "s", "temperature-sensor-17"}) {
      Buffer first{}, second{};
      const size_t size = BuildSample(first, name, values);
      ASSERT_EQ(size, MessageBuilder::Bytes(name.size(), values));
      // What a receiver gets: the bytes, copied, then validated.
      Buffer received{};
      std::memcpy(received.bytes, first.bytes, size);
      auto view = MessageView::Validate(received.bytes, size);
      ASSERT_TRUE(view.ok()) << view.status().message();
      EXPECT_EQ(view->id(), 0x0123456789abcdefULL);
      EXPECT_EQ(view->timestamp_ns(), -42);
      EXPECT_EQ(view->scale(), 0.125);
      EXPECT_EQ(view->flags(), 7u);
      EXPECT_EQ(view->name(), name);
      ASSERT_EQ(view->values().size(), values);
      for (size_t i = 0; i < values; ++i) {
        ASSERT_EQ(view->values()[i], static_cast<float>(i) * 0.5f - 3);
      }
      // Written again from what was read: the same bytes, padding included.
      auto again = MessageBuilder::Start(second.bytes, sizeof second.bytes, view->name(),
                                         view->values().size());
      ASSERT_TRUE(again.ok());
      again->set_id(view->id());
      again->set_timestamp_ns(view->timestamp_ns());
      again->set_scale(view->scale());
      again->set_flags(view->flags());
      std::copy(view->values().begin(), view->values().end(), again->values());
      ASSERT_EQ(again->size(), size);
      EXPECT_EQ(std::memcmp(first.bytes, second.bytes, size), 0);
    }
  }
}

TEST(ZeroCopy, BuilderRefusesSmallOrMisalignedBuffers) {
  Buffer buf{};
  auto small = MessageBuilder::Start(buf.bytes, 100, "name", 100);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("does not fit"), std::string::npos);
  auto misaligned = MessageBuilder::Start(buf.bytes + 4, 1000, "name", 10);
  ASSERT_FALSE(misaligned.ok());
  EXPECT_NE(misaligned.status().message().find("aligned"), std::string::npos);
}

TEST(ZeroCopy, EveryTruncationIsRejected) {
  Buffer buf{};
  const size_t size = BuildSample(buf, "truncate-me", 100);
  for (size_t cut = 0; cut < size; ++cut) {
    EXPECT_FALSE(MessageView::Validate(buf.bytes, cut).ok()) << cut;
  }
  EXPECT_TRUE(MessageView::Validate(buf.bytes, size).ok());
}

// Everything Validate accepts lies inside the buffer: read all of it.
void TouchAll(const MessageView& view, const uint8_t* begin, size_t size) {
  const auto inside = [&](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    return b >= begin && b + n <= begin + size;
  };
  ASSERT_TRUE(inside(view.name().data(), view.name().size()));
  ASSERT_TRUE(inside(view.values().data(), view.values().size_bytes()));
  volatile float sink = 0;
  for (float f : view.values()) sink = sink + f;
}

TEST(ZeroCopy, CorruptedHeadersAreRejectedOrStayInBounds) {
  Buffer original{};
  const size_t size = BuildSample(original, "corrupt", 64);
  std::mt19937 rng(11);
  int rejected = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    Buffer buf = original;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      const size_t at = rng() % sizeof(MessageHeader);  // the fields that steer reads
      buf.bytes[at] = static_cast<uint8_t>(rng());
    }
    const size_t given = size - rng() % 8;
    auto view = MessageView::Validate(buf.bytes, given);
    if (!view.ok()) {
      ++rejected;
      continue;
    }
    TouchAll(*view, buf.bytes, given);
  }
  EXPECT_GT(rejected, 10000);  // most random damage to offsets is caught
}

TEST(ZeroCopy, OffsetsThatWouldOverflow32BitsAreRejected) {
  Buffer buf{};
  const size_t size = BuildSample(buf, "x", 4);
  auto* h = reinterpret_cast<MessageHeader*>(buf.bytes);
  h->values_count = 0x40000000;  // 4 GiB of floats: the product wraps 32 bits
  EXPECT_FALSE(MessageView::Validate(buf.bytes, size).ok());
  BuildSample(buf, "x", 4);
  h->name_offset = 0xffffffff;
  h->name_length = 2;
  EXPECT_FALSE(MessageView::Validate(buf.bytes, size).ok());
}

// ---- machine facts ----

class FakeRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("perfkit-platform-" + std::to_string(getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text << "\n";
  }
  fs::path root_;
};

TEST_F(FakeRoot, CachesFromSysfs) {
  const std::string dir = "sys/devices/system/cpu/cpu0/cache/";
  Write(dir + "index0/level", "1");
  Write(dir + "index0/type", "Data");
  Write(dir + "index0/size", "48K");
  Write(dir + "index0/coherency_line_size", "64");
  Write(dir + "index0/ways_of_associativity", "12");
  Write(dir + "index3/level", "3");
  Write(dir + "index3/type", "Unified");
  Write(dir + "index3/size", "32768K");
  Write(dir + "index3/coherency_line_size", "64");
  const CpuCaches caches = CachesFromSysfs(*RootedMachine(root_));
  EXPECT_EQ(caches.source, "sysfs");
  EXPECT_EQ(caches.Bytes("L1d"), 48 * 1024);
  EXPECT_EQ(caches.Bytes("L3"), 32 << 20);
  EXPECT_EQ(caches.Bytes("L2"), 0);
  EXPECT_EQ(caches.LineBytes(), 64);
}

TEST_F(FakeRoot, NoSysfsCachesIsEmptyNotAGuess) {
  const CpuCaches caches = CachesFromSysfs(*RootedMachine(root_));
  EXPECT_TRUE(caches.caches.empty());
  EXPECT_TRUE(caches.source.empty());
}

TEST_F(FakeRoot, HugePagesAndThpMode) {
  Write("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "128");
  Write("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "100");
  Write("sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0");
  Write("sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "0");
  Write("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never");
  const std::vector<HugePageSize> sizes = ReadHugePages(root_);
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0].bytes, 2 << 20);
  EXPECT_EQ(sizes[0].reserved, 128);
  EXPECT_EQ(sizes[0].free, 100);
  EXPECT_EQ(sizes[1].bytes, int64_t{1} << 30);
  EXPECT_EQ(TransparentHugePageMode(root_), "madvise");
  EXPECT_EQ(TransparentHugePageMode(root_ / "nowhere"), "unavailable");
}

TEST(Caches, CpuidAgreesWithSysfsWhereBothSpeak) {
  const CpuCaches cpuid = CachesFromCpuid(ThisMachine());
  const CpuCaches sysfs = CachesFromSysfs(ThisMachine());
  if (cpuid.caches.empty() || sysfs.caches.empty()) {
    GTEST_SKIP() << "this machine's CPUID or /sys gives no caches";
  }
  EXPECT_EQ(cpuid.Bytes("L1d"), sysfs.Bytes("L1d"));
  EXPECT_EQ(cpuid.LineBytes(), sysfs.LineBytes());
}

TEST(Regions, SmallPagesMapAndHugeTlbSaysHowToReserve) {
  auto small = Region::Map(1 << 20, PageMode::kSmall);
  ASSERT_TRUE(small.ok()) << small.status().message();
  EXPECT_EQ(small->data()[12345], 1);  // touched
  EXPECT_EQ(small->GrantedHugeBytes(), 0);
  bool reserved = false;
  for (const HugePageSize& s : ReadHugePages()) reserved |= s.bytes == (2 << 20) && s.free >= 2;
  if (reserved) GTEST_SKIP() << "this machine has huge pages reserved";
  auto huge = Region::Map(4 << 20, PageMode::kHugeTlb);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("vm.nr_hugepages"), std::string::npos);
}

TEST(Timing, PauseCostIsMeasuredNotAssumed) {
#if defined(__x86_64__)
  const PauseCost cost = MeasurePause(1000);
  EXPECT_GT(cost.ns, 0);
  EXPECT_GT(cost.tsc_cycles, 0);
#else
  GTEST_SKIP() << "PAUSE is x86-64";
#endif
}

}  // namespace
}  // namespace perfkit::platform
