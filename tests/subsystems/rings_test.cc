// The rings: every message exactly once and in order per producer, with the
// 64-bit indices started near their limit so they wrap; random yields to
// shake the interleavings (run these under PERFKIT_SANITIZE=thread too); the
// shared-memory channel between two real processes, a peer that writes
// garbage into the rings, and a peer killed mid-transfer.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "subsystems/rings/mpmc_queue.h"
#include "subsystems/rings/shm_channel.h"
#include "subsystems/rings/spsc_ring.h"

namespace perfkit::rings {
namespace {

constexpr uint64_t kNearWrap = ~uint64_t{0} - 5000;

// Now and then, give the CPU away: interleavings a quiet run never sees.
void MaybeYield(std::mt19937& rng) {
  if (rng() % 64 == 0) sched_yield();
}

TEST(SpscRing, EveryMessageOnceInOrderAcrossIndexWrapAround) {
  for (size_t bulk : {size_t{1}, size_t{7}}) {
    OwnedSpscRing<uint64_t> ring(64, kNearWrap);
    constexpr uint64_t kCount = 200000;
    std::thread producer([&] {
      std::mt19937 rng(1);
      uint64_t batch[8];
      for (uint64_t next = 0; next < kCount;) {
        const size_t want = std::min<uint64_t>(bulk, kCount - next);
        for (size_t i = 0; i < want; ++i) batch[i] = next + i;
        next += ring->PushBulk(batch, want);
        MaybeYield(rng);
      }
    });
    std::mt19937 rng(2);
    uint64_t expected = 0, got[8];
    while (expected < kCount) {
      const size_t n = ring->PopBulk(got, bulk);
      ASSERT_NE(n, SpscRing<uint64_t>::kCorrupt);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], expected++);
      MaybeYield(rng);
    }
    producer.join();
    EXPECT_TRUE(ring->Empty());
  }
}

TEST(SpscRing, FullAndEmptyAreStatusesNotErrors) {
  OwnedSpscRing<uint32_t> ring(4);
  uint32_t v = 0;
  EXPECT_FALSE(ring->TryPop(&v));
  for (uint32_t i = 0; i < 4; ++i) EXPECT_TRUE(ring->TryPush(i));
  EXPECT_FALSE(ring->TryPush(99));
  EXPECT_TRUE(ring->Full());
  const uint32_t many[6] = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(ring->PushBulk(many, 6), 0u);
  ASSERT_TRUE(ring->TryPop(&v));
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(ring->PushBulk(many, 6), 1u);  // as many as fit, one index update
}

// Producer p sends p<<32 | seq; every consumer must see each producer's
// messages in increasing order, and all of them together exactly once.
TEST(MpmcQueue, ManyProducersAndConsumersLoseAndRepeatNothing) {
  constexpr int kProducers = 4, kConsumers = 4;
  constexpr uint64_t kPerProducer = 50000;
  MpmcQueue<uint64_t> q(256, kNearWrap);
  std::atomic<uint64_t> consumed{0};
  std::vector<std::vector<uint8_t>> seen(kProducers, std::vector<uint8_t>(kPerProducer));
  std::atomic<bool> order_broken{false}, repeated{false};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      std::mt19937 rng(p);
      for (uint64_t s = 0; s < kPerProducer;) {
        if (q.TryPush((uint64_t(p) << 32) | s)) ++s;
        MaybeYield(rng);
      }
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937 rng(100 + c);
      std::vector<int64_t> last(kProducers, -1);
      uint64_t v;
      while (consumed.load() < kProducers * kPerProducer) {
        if (!q.TryPop(&v)) {
          MaybeYield(rng);
          continue;
        }
        const size_t p = v >> 32;
        const auto s = static_cast<int64_t>(v & 0xffffffff);
        if (s <= last[p]) order_broken = true;
        last[p] = s;
        if (seen[p][static_cast<size_t>(s)]++ != 0) repeated = true;
        consumed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(order_broken);
  EXPECT_FALSE(repeated);
  for (const auto& producer : seen) {
    for (uint8_t count : producer) ASSERT_EQ(count, 1);
  }
}

// Each producing thread has a shard of its own: one that has filled its
// shard does not stop another from pushing, and a consumer finds both.
TEST(MpmcQueue, AFullProducerDoesNotBlockAnother) {
  MpmcQueue<uint64_t> q(4);
  std::thread first([&] {
    for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(q.TryPush(i));
    EXPECT_FALSE(q.TryPush(99));  // its own shard is full
  });
  first.join();
  std::thread second([&] { EXPECT_TRUE(q.TryPush(100)); });
  second.join();
  uint64_t v, sum = 0;
  int popped = 0;
  while (q.TryPop(&v)) {
    sum += v;
    ++popped;
  }
  EXPECT_EQ(popped, 5);
  EXPECT_EQ(sum, 0u + 1 + 2 + 3 + 100);
}

using Clock = std::chrono::steady_clock;
Clock::time_point In(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }

// A receiver in a real second process: folds each payload and answers.
TEST(ShmChannel, TwoProcessesMovePayloadsInPlace) {
  auto sender = ChannelSender::Create({});
  ASSERT_TRUE(sender.ok()) << sender.error();
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child == 0) {
    auto receiver = ChannelReceiver::Attach((*sender)->fd(), parent);
    if (!receiver.ok()) _exit(2);
    for (;;) {
      auto r = (*receiver)->Next(In(10000));
      if (!r.ok()) _exit(3);
      const int32_t result = r->opcode == Opcode::kData
                                 ? static_cast<int32_t>(Fold64(r->data, r->length) & 0xffff)
                                 : 0;
      if (!(*receiver)->Complete(*r, result, In(10000)).ok()) _exit(4);
      if (r->opcode == Opcode::kStop) _exit(0);
    }
  }
  (*sender)->WatchPeer(child);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const size_t size = std::vector<size_t>{1, 4096, 5000, 65536, 1 << 20}[rng() % 5];
    auto buffer = (*sender)->AcquireBuffer(size, In(5000));
    ASSERT_TRUE(buffer.ok()) << buffer.error();
    ASSERT_GE(buffer->size, size);
    std::memset(buffer->data, i & 0xff, size);
    ASSERT_TRUE((*sender)->Submit(*buffer, 0, size, 1000 + i, In(5000)).ok());
    auto cqe = (*sender)->WaitCompletion(In(5000));
    ASSERT_TRUE(cqe.ok()) << cqe.error();
    EXPECT_EQ(cqe->user_data, uint64_t(1000 + i));
    std::vector<uint8_t> copy(size, static_cast<uint8_t>(i & 0xff));
    EXPECT_EQ(cqe->result, static_cast<int32_t>(Fold64(copy.data(), size) & 0xffff));
  }
  ASSERT_TRUE((*sender)->SubmitControl(Opcode::kStop, 1, In(5000)).ok());
  ASSERT_TRUE((*sender)->WaitCompletion(In(5000)).ok());
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// The other process writes garbage into the shared rings: every kind is
// refused by name, nothing is read outside the mapping.
TEST(ShmChannel, AReceiverRejectsGarbageFromItsPeer) {
  struct Garbage {
    const char* what;
    Sqe sqe;
    std::string expected;
  };
  const std::vector<Garbage> cases = {
      {"opcode", {77, 0, 0, 0, 1, {}}, "corrupt submission: unknown opcode 77"},
      {"buffer", {1, 99999, 0, 16, 1, {}}, "corrupt submission: buffer 99999 does not exist"},
      {"range",
       {1, 0, 4000, 200, 1, {}},
       "corrupt submission: bytes 4000+200 lie outside buffer 0"},
      {"overflow", {1, 3, ~uint64_t{0}, 2, 1, {}}, "corrupt submission: bytes"},
  };
  for (const Garbage& g : cases) {
    auto sender = ChannelSender::Create({});
    ASSERT_TRUE(sender.ok());
    // The mapping as a hostile peer sees it: write the entry raw.
    const pid_t child = fork();
    if (child == 0) {
      auto* base = static_cast<uint8_t*>(
          mmap(nullptr, 4096 * 2, PROT_READ | PROT_WRITE, MAP_SHARED, (*sender)->fd(), 0));
      auto* header = reinterpret_cast<SpscHeader*>(base + 4096);
      std::memcpy(base + 4096 + sizeof(SpscHeader), &g.sqe, sizeof g.sqe);
      header->tail.store(header->tail.load() + 1, std::memory_order_release);
      _exit(0);
    }
    waitpid(child, nullptr, 0);
    auto receiver = ChannelReceiver::Attach((*sender)->fd(), 0);
    ASSERT_TRUE(receiver.ok()) << receiver.error();
    auto r = (*receiver)->Next(In(1000));
    ASSERT_FALSE(r.ok()) << g.what;
    EXPECT_EQ(r.error().rfind(g.expected, 0), 0u) << g.what << ": " << r.error();
  }
  // An index far past what the ring can hold, and a damaged geometry.
  auto sender = ChannelSender::Create({});
  auto* base = static_cast<uint8_t*>(
      mmap(nullptr, 4096 * 2, PROT_READ | PROT_WRITE, MAP_SHARED, (*sender)->fd(), 0));
  reinterpret_cast<SpscHeader*>(base + 4096)->tail.store(1 << 20);
  auto receiver = ChannelReceiver::Attach((*sender)->fd(), 0);
  ASSERT_TRUE(receiver.ok());
  auto r = (*receiver)->Next(In(1000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("corrupt submission ring"), std::string::npos) << r.error();
  reinterpret_cast<uint32_t*>(base)[2] = 3;  // sq_entries: not a power of two
  auto damaged = ChannelReceiver::Attach((*sender)->fd(), 0);
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.error().find("corrupt channel geometry"), std::string::npos);
  munmap(base, 4096 * 2);
}

TEST(ShmChannel, ASurvivorNoticesItsPeerDied) {
  auto sender = ChannelSender::Create({});
  ASSERT_TRUE(sender.ok());
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child == 0) {
    auto receiver = ChannelReceiver::Attach((*sender)->fd(), parent);
    if (receiver.ok()) static_cast<void>((*receiver)->Next(In(10000)));  // takes one, never answers
    pause();
    _exit(0);
  }
  (*sender)->WatchPeer(child);
  auto buffer = (*sender)->AcquireBuffer(4096, In(1000));
  ASSERT_TRUE(buffer.ok());
  ASSERT_TRUE((*sender)->Submit(*buffer, 0, 4096, 1, In(1000)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(child, SIGKILL);
  const auto start = Clock::now();
  auto cqe = (*sender)->WaitCompletion(In(10000));
  ASSERT_FALSE(cqe.ok());
  EXPECT_NE(cqe.error().find("died"), std::string::npos) << cqe.error();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));  // well inside its deadline
  waitpid(child, nullptr, 0);
  auto timed = ChannelSender::Create({});
  auto idle = (*timed)->WaitCompletion(In(100));  // no peer at all: the deadline ends it
  ASSERT_FALSE(idle.ok());
  EXPECT_NE(idle.error().find("timed out"), std::string::npos);
}

}  // namespace
}  // namespace perfkit::rings
