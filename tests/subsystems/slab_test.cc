// The buddy page provider, the slab allocator and the object pool under
// randomised alloc/free traces: alignment, no overlap between live blocks,
// a per-block pattern intact at free, several threads with cross-thread
// frees, statistics, and the debug checks that must abort on misuse.
#include "subsystems/slab/slab.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include "subsystems/slab/buddy.h"
#include "subsystems/slab/pool.h"

namespace perfkit::slab {
namespace {

enum class Order { kLifo, kFifo, kRandom };

struct Block {
  unsigned char* p;
  size_t size;
  unsigned char fill;
};

void Fill(const Block& b) { std::memset(b.p, b.fill, b.size); }

::testing::AssertionResult Intact(const Block& b) {
  for (size_t i = 0; i < b.size; ++i) {
    if (b.p[i] != b.fill) {
      return ::testing::AssertionFailure()
             << "byte " << i << " of a " << b.size << " B block was overwritten";
    }
  }
  return ::testing::AssertionSuccess();
}

// Live blocks by address: a new block must not overlap its neighbours.
class LiveSet {
 public:
  ::testing::AssertionResult Add(const Block& b) {
    auto next = live_.lower_bound(b.p);
    if (next != live_.end() && next->first < b.p + b.size) {
      return ::testing::AssertionFailure() << "block overlaps the next live block";
    }
    if (next != live_.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second > b.p) {
        return ::testing::AssertionFailure() << "block overlaps the previous live block";
      }
    }
    live_[b.p] = b.size;
    return ::testing::AssertionSuccess();
  }
  void Remove(const Block& b) { live_.erase(b.p); }

 private:
  std::map<unsigned char*, size_t> live_;
};

size_t ExpectedAlignment(size_t size) {
  if (size > kMaxSmallBytes) return 4096;
  return std::min<size_t>(ClassBytes(SizeClassOf(size)), 64);
}

std::unique_ptr<SlabAllocator> NewSlab(bool debug = true) {
  SlabOptions options;
  options.page_orders = 14;  // 64 MiB
  options.debug_checks = debug;
  auto slab = SlabAllocator::Create(options);
  EXPECT_TRUE(slab.ok()) << (slab.ok() ? "" : slab.error());
  return std::move(slab).value();
}

void RunTrace(SlabAllocator& slab, Order order, unsigned seed) {
  std::mt19937 rng(seed);
  LiveSet live_set;
  std::deque<Block> live;
  for (int round = 0; round < 40; ++round) {
    const int allocations = 1 + static_cast<int>(rng() % 400);
    for (int i = 0; i < allocations; ++i) {
      const size_t size = 1 + rng() % kMaxSmallBytes;
      auto* p = static_cast<unsigned char*>(slab.Allocate(size));
      ASSERT_NE(p, nullptr);
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % ExpectedAlignment(size), 0u) << size;
      Block b{p, size, static_cast<unsigned char>(rng())};
      ASSERT_TRUE(live_set.Add(b));
      Fill(b);
      live.push_back(b);
    }
    const size_t frees = rng() % (live.size() + 1);
    for (size_t i = 0; i < frees; ++i) {
      size_t at = order == Order::kLifo   ? live.size() - 1
                  : order == Order::kFifo ? 0
                                          : rng() % live.size();
      Block b = live[at];
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
      ASSERT_TRUE(Intact(b));
      live_set.Remove(b);
      slab.Free(b.p);
    }
  }
  for (const Block& b : live) {
    ASSERT_TRUE(Intact(b));
    slab.Free(b.p);
  }
}

TEST(SizeClass, PowersOfTwoFrom16) {
  EXPECT_EQ(SizeClassOf(0), 0);
  EXPECT_EQ(SizeClassOf(1), 0);
  EXPECT_EQ(SizeClassOf(16), 0);
  EXPECT_EQ(SizeClassOf(17), 1);
  EXPECT_EQ(SizeClassOf(64), 2);
  EXPECT_EQ(SizeClassOf(65), 3);
  EXPECT_EQ(SizeClassOf(257), 5);
  EXPECT_EQ(SizeClassOf(512), 5);
  for (size_t n = 1; n <= kMaxSmallBytes; ++n) {
    ASSERT_GE(ClassBytes(SizeClassOf(n)), n);
    if (SizeClassOf(n) > 0) {
      ASSERT_LT(ClassBytes(SizeClassOf(n) - 1), n);
    }
  }
}

TEST(Buddy, SplitsAndCoalescesBackToOneBlock) {
  BuddyOptions options;
  options.min_block = 16;
  options.max_order = 16;  // 1 MiB
  options.debug_checks = true;
  auto buddy = BuddyAllocator::Create(options);
  ASSERT_TRUE(buddy.ok()) << buddy.error();
  BuddyAllocator& b = **buddy;
  std::mt19937 rng(7);
  std::vector<Block> live;
  LiveSet live_set;
  for (int i = 0; i < 20000; ++i) {
    if (live.empty() || rng() % 3 != 0) {
      const size_t size = 1 + rng() % 2048;
      auto* p = static_cast<unsigned char*>(b.Allocate(size));
      if (p == nullptr) continue;  // full; keep going, frees will make room
      const size_t block = b.BlockBytes(b.OrderFor(size));
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % block, 0u);
      Block blk{p, size, static_cast<unsigned char>(i)};
      ASSERT_TRUE(live_set.Add(blk));
      Fill(blk);
      live.push_back(blk);
    } else {
      const size_t at = rng() % live.size();
      ASSERT_TRUE(Intact(live[at]));
      live_set.Remove(live[at]);
      b.Free(live[at].p, live[at].size);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }
  for (const Block& blk : live) b.Free(blk.p, blk.size);
  EXPECT_EQ(b.free_bytes(), b.region_bytes());
  // Fully coalesced: the whole region is one block again.
  void* all = b.Allocate(b.region_bytes());
  EXPECT_EQ(all, b.base());
  EXPECT_EQ(b.Allocate(1), nullptr);
  EXPECT_EQ(b.Allocate(b.region_bytes() + 1), nullptr);
  b.Free(all, b.region_bytes());
}

TEST(Buddy, RejectsBadOptions) {
  BuddyOptions options;
  options.min_block = 24;
  EXPECT_FALSE(BuddyAllocator::Create(options).ok());
  options.min_block = 8;
  EXPECT_FALSE(BuddyAllocator::Create(options).ok());
  options.min_block = 4096;
  options.max_order = 60;
  EXPECT_FALSE(BuddyAllocator::Create(options).ok());
}

TEST(BuddyDeathTest, DoubleFreeAborts) {
  BuddyOptions options;
  options.min_block = 16;
  options.max_order = 10;
  options.debug_checks = true;
  auto buddy = BuddyAllocator::Create(options);
  ASSERT_TRUE(buddy.ok());
  void* p = (*buddy)->Allocate(32);
  (*buddy)->Free(p, 32);
  EXPECT_DEATH((*buddy)->Free(p, 32), "buddy: double free");
}

// With debug checks every call takes the slow path; without, the fast paths.
class SlabTrace : public ::testing::TestWithParam<std::tuple<Order, bool>> {};

TEST_P(SlabTrace, SingleThreadKeepsBlocksApartAndIntact) {
  auto slab = NewSlab(std::get<1>(GetParam()));
  for (unsigned seed = 1; seed <= 3; ++seed) RunTrace(*slab, std::get<0>(GetParam()), seed);
  slab->FlushThreadCache();
  slab->Trim();
  const SlabStats stats = slab->Stats();
  for (const ClassStats& c : stats.classes) {
    EXPECT_EQ(c.objects_in_use, 0u) << c.object_size;
    EXPECT_LE(c.slabs, 1u) << "empty slabs must go back to the page provider";
  }
}

INSTANTIATE_TEST_SUITE_P(Orders, SlabTrace,
                         ::testing::Combine(::testing::Values(Order::kLifo, Order::kFifo,
                                                              Order::kRandom),
                                            ::testing::Bool()));

class SlabThreads : public ::testing::TestWithParam<bool> {};

TEST_P(SlabThreads, CrossThreadFrees) {
  auto slab = NewSlab(GetParam());
  constexpr int kThreads = 4;
  // Each thread allocates, checks and hands half of its blocks to the next
  // thread, which frees them after checking the pattern.
  std::array<std::mutex, kThreads> mu;
  std::array<std::vector<Block>, kThreads> inbox;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      std::vector<Block> mine;
      for (int i = 0; i < 20000; ++i) {
        const size_t size = 1 + rng() % kMaxSmallBytes;
        Block b{static_cast<unsigned char*>(slab->Allocate(size)), size,
                static_cast<unsigned char>(rng())};
        ASSERT_NE(b.p, nullptr);
        Fill(b);
        if (rng() % 2) {
          std::lock_guard lock(mu[(t + 1) % kThreads]);
          inbox[(t + 1) % kThreads].push_back(b);
        } else {
          mine.push_back(b);
        }
        if (mine.size() > 300) {
          ASSERT_TRUE(Intact(mine.front()));
          slab->Free(mine.front().p);
          mine.erase(mine.begin());
        }
        std::vector<Block> received;
        {
          std::lock_guard lock(mu[t]);
          received.swap(inbox[t]);
        }
        for (const Block& r : received) {
          ASSERT_TRUE(Intact(r));
          slab->Free(r.p);
        }
      }
      for (const Block& b : mine) slab->Free(b.p);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Block& b : inbox[0]) slab->Free(b.p);
  for (int t = 1; t < kThreads; ++t) {
    for (const Block& b : inbox[t]) slab->Free(b.p);
  }
  slab->FlushThreadCache();
  // Exited threads flushed their caches; nothing is held any more.
  const SlabStats stats = slab->Stats();
  uint64_t allocations = 0;
  for (const ClassStats& c : stats.classes) {
    EXPECT_EQ(c.objects_in_use, 0u) << c.object_size;
    allocations += c.allocations;
  }
  EXPECT_EQ(allocations, uint64_t{kThreads} * 20000);
}

INSTANTIATE_TEST_SUITE_P(DebugChecks, SlabThreads, ::testing::Bool());

// A thread that used an allocator keeps its cache after the allocator is
// destroyed; a new allocator that gets the same id must not be served from it.
TEST(Slab, AThreadOutlivesItsAllocator) {
  std::mutex mu;
  std::condition_variable cv;
  SlabAllocator* current = nullptr;
  int round = 0;
  int done = 0;
  std::thread user([&] {
    for (int r = 1; r <= 3; ++r) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return round == r; });
      std::vector<void*> objects;
      for (int i = 0; i < 600; ++i) {
        objects.push_back(current->Allocate(32));
        ASSERT_NE(objects.back(), nullptr);
        std::memset(objects.back(), r, 32);
      }
      for (void* p : objects) current->Free(p);
      for (int i = 0; i < 300; ++i) objects[i] = current->Allocate(32);  // left cached
      for (int i = 0; i < 300; ++i) current->Free(objects[i]);
      done = r;
      cv.notify_all();
    }
  });
  for (int r = 1; r <= 3; ++r) {
    auto slab = NewSlab(/*debug=*/false);
    {
      std::unique_lock lock(mu);
      current = slab.get();
      round = r;
      cv.notify_all();
      cv.wait(lock, [&] { return done == r; });
    }
    const ClassStats c = slab->Stats().classes[1];
    EXPECT_EQ(c.allocations, 900u);
    EXPECT_EQ(c.objects_in_use, 0u);
  }
  user.join();
}

// Random sizes from several allocators at once on this thread, each block
// checked for overlap and intact at its free; the allocations made per
// allocator.
std::map<SlabAllocator*, uint64_t> Interleave(const std::vector<SlabAllocator*>& slabs,
                                              unsigned seed) {
  std::mt19937 rng(seed);
  LiveSet live_set;
  std::vector<std::pair<SlabAllocator*, Block>> live;
  std::map<SlabAllocator*, uint64_t> made;
  auto free_one = [&](size_t at) {
    auto [slab, b] = live[at];
    live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
    EXPECT_TRUE(Intact(b));
    live_set.Remove(b);
    slab->Free(b.p);
  };
  for (int i = 0; i < 4000; ++i) {
    SlabAllocator* slab = slabs[rng() % slabs.size()];
    const size_t size = 1 + rng() % kMaxSmallBytes;
    Block b{static_cast<unsigned char*>(slab->Allocate(size)), size,
            static_cast<unsigned char>(rng())};
    EXPECT_NE(b.p, nullptr);
    if (b.p == nullptr) break;
    EXPECT_TRUE(live_set.Add(b));
    Fill(b);
    live.push_back({slab, b});
    ++made[slab];
    if (rng() % 2 == 0) free_one(rng() % live.size());
  }
  while (!live.empty()) free_one(live.size() - 1);
  return made;
}

uint64_t Allocations(const SlabAllocator& slab) {
  uint64_t n = 0;
  for (const ClassStats& c : slab.Stats().classes) n += c.allocations;
  return n;
}

// One allocator per thread keeps its cache in the thread's own storage, the
// rest on the heap; the storage passes on when its holder is destroyed, by
// this thread or by another while this one lives. Blocks stay apart and
// intact, and every allocator counts its own calls.
TEST(Slab, AllocatorsTakeTurnsAtTheThreadsOwnCache) {
  auto a = NewSlab(/*debug=*/false);
  auto b = NewSlab(/*debug=*/false);
  auto checked = NewSlab(/*debug=*/true);  // never takes the thread's storage
  auto made = Interleave({a.get(), b.get(), checked.get()}, 1);
  for (auto& [slab, n] : made) {
    EXPECT_EQ(Allocations(*slab), n);
    for (const ClassStats& cs : slab->Stats().classes) EXPECT_EQ(cs.objects_in_use, 0u);
  }
  uint64_t b_made = made[b.get()];
  a.reset();
  auto c = NewSlab(/*debug=*/false);
  made = Interleave({b.get(), c.get()}, 2);
  b_made += made[b.get()];

  std::mutex mu;
  std::condition_variable cv;
  int step = 0;
  std::unique_ptr<SlabAllocator> d;
  // Maps per step: d may be made at the address c had.
  std::map<SlabAllocator*, uint64_t> before, after;
  std::thread user([&] {
    before = Interleave({c.get(), b.get()}, 3);  // c first: it takes this thread's storage
    std::unique_lock lock(mu);
    step = 1;
    cv.notify_all();
    cv.wait(lock, [&] { return step == 2; });  // c destroyed meanwhile by the main thread
    after = Interleave({d.get(), b.get()}, 4);
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return step == 1; });
    EXPECT_EQ(Allocations(*c), made[c.get()] + before[c.get()]);
    c.reset();
    d = NewSlab(/*debug=*/false);
    step = 2;
    cv.notify_all();
  }
  user.join();  // its exit returns d's and b's objects from that thread
  EXPECT_EQ(Allocations(*d), after[d.get()]);
  EXPECT_EQ(Allocations(*b), b_made + before[b.get()] + after[b.get()]);
  for (SlabAllocator* slab : {b.get(), d.get()}) {
    for (const ClassStats& cs : slab->Stats().classes) EXPECT_EQ(cs.objects_in_use, 0u);
  }
}

TEST(Slab, ZeroAndLargeRequests) {
  auto slab = NewSlab();
  void* a = slab->Allocate(0);
  void* b = slab->Allocate(0);
  ASSERT_NE(a, nullptr);
  EXPECT_NE(a, b);
  void* big = slab->Allocate(100000);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big) % 4096, 0u);
  std::memset(big, 1, 100000);
  EXPECT_EQ(slab->Stats().large_blocks, 1u);
  EXPECT_EQ(slab->Stats().large_bytes, 128u * 1024);
  EXPECT_EQ(slab->Allocate(size_t{1} << 40),
            nullptr);  // beyond the page provider
  slab->Free(big);
  slab->Free(a);
  slab->Free(b);
  slab->Free(nullptr);
  EXPECT_EQ(slab->Stats().large_blocks, 0u);
}

TEST(Slab, StatsOnABatch) {
  auto slab = NewSlab(/*debug=*/false);
  std::vector<void*> objects;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 1000; ++i) objects.push_back(slab->Allocate(64));
    EXPECT_EQ(slab->Stats().classes[2].objects_in_use, 1000u);
    for (void* p : objects) slab->Free(p);
    objects.clear();
  }
  const ClassStats c = slab->Stats().classes[2];
  EXPECT_EQ(c.allocations, 10000u);
  EXPECT_EQ(c.frees, 10000u);
  EXPECT_GE(c.FastPathHitRate(), 0.9);
  EXPECT_EQ(c.objects_in_use, 0u);
}

TEST(Slab, MetadataIsSmallOnFullSlabs) {
  auto slab = NewSlab(/*debug=*/false);
  std::vector<void*> objects;
  for (int c = 0; c < kNumClasses; ++c) {
    for (int i = 0; i < 20000; ++i) objects.push_back(slab->Allocate(ClassBytes(c)));
  }
  const SlabStats stats = slab->Stats();
  EXPECT_LT(stats.MetadataRatio(), 0.10);
  for (void* p : objects) slab->Free(p);
}

// Each class carves its slabs from a span of its own; one that outgrows it
// takes slabs from the page provider, and objects from both kinds of slab
// come and go, with and without debug checks, through a Trim that hands the
// span's released slabs back to the system.
TEST(Slab, AClassThatOutgrowsItsSpanTakesSlabsFromThePages) {
  for (bool debug : {false, true}) {
    SlabOptions options;
    options.page_orders = 6;  // 256 KiB of pages: a span of one slab per class
    options.debug_checks = debug;
    auto slab = SlabAllocator::Create(options);
    ASSERT_TRUE(slab.ok()) << slab.error();
    for (int round = 0; round < 3; ++round) {
      std::vector<uint64_t*> objects;
      for (int i = 0; i < 10000; ++i) {  // 16 B: about 2.5 slabs' worth
        auto* p = static_cast<uint64_t*>((*slab)->Allocate(16));
        ASSERT_NE(p, nullptr) << i;
        *p = static_cast<uint64_t>(i);
        objects.push_back(p);
      }
      EXPECT_GE((*slab)->Stats().classes[0].slabs, 3u);
      for (size_t i = 0; i < objects.size(); ++i) {
        ASSERT_EQ(*objects[i], i);
        (*slab)->Free(objects[i]);
      }
      (*slab)->FlushThreadCache();
      (*slab)->Trim();
      EXPECT_EQ((*slab)->Stats().classes[0].objects_in_use, 0u);
    }
  }
}

TEST(Slab, TooManyAllocatorsIsAnError) {
  std::vector<std::unique_ptr<SlabAllocator>> all;
  SlabOptions options;
  options.page_orders = 4;
  for (;;) {
    auto s = SlabAllocator::Create(options);
    if (!s.ok()) {
      EXPECT_NE(s.error().find("more than 64"), std::string::npos) << s.error();
      break;
    }
    all.push_back(std::move(s).value());
    ASSERT_LE(all.size(), 64u);
  }
  all.clear();
  EXPECT_TRUE(SlabAllocator::Create(options).ok());
}

TEST(SlabDeathTest, MisuseAbortsWithAMessage) {
  auto slab = NewSlab(/*debug=*/true);
  void* p = slab->Allocate(48);
  slab->Free(p);
  EXPECT_DEATH(slab->Free(p), "double free");
  int on_stack = 0;
  EXPECT_DEATH(slab->Free(&on_stack), "did not return");
  char* q = static_cast<char*>(slab->Allocate(64));
  EXPECT_DEATH(slab->Free(q + 8), "not the start of an object");
  void* big = slab->Allocate(8192);
  slab->Free(big);
  EXPECT_DEATH(slab->Free(big), "did not return \\(or a double free\\)");
  slab->Free(q);
}

TEST(ObjectPool, ReusesTheLastReleasedBuffer) {
  using Buffer = std::array<std::byte, 4096>;
  ObjectPool<Buffer> pool(4);
  Buffer* first;
  {
    auto a = pool.Acquire();
    first = a.get();
    EXPECT_EQ(pool.live(), 1u);
  }
  EXPECT_EQ(pool.live(), 0u);
  auto b = pool.Acquire();
  EXPECT_EQ(b.get(), first);
  std::vector<ObjectPool<Buffer>::Handle> many;
  for (int i = 0; i < 10; ++i) many.push_back(pool.Acquire());
  EXPECT_EQ(pool.live(), 11u);
  EXPECT_GE(pool.capacity(), 11u);
  auto moved = std::move(many[0]);
  EXPECT_FALSE(many[0]);
  many.clear();
  EXPECT_EQ(pool.live(), 2u);
}

TEST(ObjectPool, ConstructsFromArguments) {
  ObjectPool<std::string> pool;
  auto s = pool.Acquire(5, 'x');
  EXPECT_EQ(*s, "xxxxx");
}

}  // namespace
}  // namespace perfkit::slab
