// A bounded multi-producer multi-consumer queue without locks, in shards.
// Each shard is the design Dmitry Vyukov published: every slot carries a
// sequence number that says whose turn it is, producers and consumers each
// claim a ticket with one compare-exchange on their own cache line, and a
// slot's sequence hands it from producer to consumer and back. Correct for
// any number of threads.
//
// Why shards: in a single Vyukov queue a producer preempted between
// claiming its ticket and filling the slot holds every consumer at that
// slot until it runs again, a whole time slice when threads outnumber CPUs
// (4 threads on 2 CPUs ran at 0.65x moodycamel's queue, which gives each
// producer its own sub-queue). Here each thread pushes to its own shard, so
// a stalled producer stalls only its shard, and a consumer goes on to the
// next one. Order is kept per producer, as in moodycamel's queue, not
// across producers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

#include "subsystems/base/check.h"
#include "subsystems/rings/spsc_ring.h"

namespace perfkit::rings {

namespace internal {

// A small number for the calling thread, fixed for its life: its shard.
inline uint32_t ThreadNumber() {
  static std::atomic<uint32_t> next{0};
  thread_local const uint32_t number = next.fetch_add(1, std::memory_order_relaxed);
  return number;
}

// The shard the calling thread last popped from, and how many times in a
// row: a hint shared by every queue the thread uses.
struct PopCursor {
  uint32_t shard = 0;
  uint32_t streak = 0;
};
inline PopCursor& ThisThreadsCursor() {
  thread_local PopCursor cursor;
  return cursor;
}

template <typename T>
class VyukovQueue {
 public:
  void Init(uint64_t capacity, uint64_t first_ticket) {
    cells_.reset(new Cell[capacity]);
    mask_ = capacity - 1;
    for (uint64_t i = 0; i < capacity; ++i) {
      const uint64_t ticket = first_ticket + i;
      cells_[ticket & mask_].sequence.store(ticket, std::memory_order_relaxed);
    }
    enqueue_.store(first_ticket, std::memory_order_relaxed);
    dequeue_.store(first_ticket, std::memory_order_relaxed);
  }

  bool TryPush(const T& item) {
    uint64_t ticket = enqueue_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[ticket & mask_];
      const uint64_t seq = cell.sequence.load(std::memory_order_acquire);
      const int64_t turn = static_cast<int64_t>(seq - ticket);
      if (turn == 0) {
        if (enqueue_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_relaxed)) {
          cell.item = item;
          cell.sequence.store(ticket + 1, std::memory_order_release);
          return true;
        }
      } else if (turn < 0) {
        return false;  // full: the slot still holds last lap's item
      } else {
        ticket = enqueue_.load(std::memory_order_relaxed);
      }
    }
  }

  bool TryPop(T* item) {
    uint64_t ticket = dequeue_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[ticket & mask_];
      const uint64_t seq = cell.sequence.load(std::memory_order_acquire);
      const int64_t turn = static_cast<int64_t>(seq - (ticket + 1));
      if (turn == 0) {
        if (dequeue_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_relaxed)) {
          *item = cell.item;
          cell.sequence.store(ticket + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (turn < 0) {
        return false;  // empty, or its producer has not filled the slot yet
      } else {
        ticket = dequeue_.load(std::memory_order_relaxed);
      }
    }
  }

 private:
  struct alignas(kCacheLine) Cell {
    std::atomic<uint64_t> sequence;
    T item;
  };
  std::unique_ptr<Cell[]> cells_;
  uint64_t mask_ = 0;
  alignas(kCacheLine) std::atomic<uint64_t> enqueue_;
  alignas(kCacheLine) std::atomic<uint64_t> dequeue_;
};

}  // namespace internal

template <typename T>
class MpmcQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  // More shards than the threads that usually share a queue; past that,
  // threads share shards, which stays correct.
  static constexpr uint32_t kShards = 8;
  // A consumer moves on after this many items from one shard in a row, so
  // no producer's items wait behind a busier one's.
  static constexpr uint32_t kStreak = 64;

  // Each producing thread may hold `capacity` items. `first_ticket` lets
  // tests start near 2^64.
  explicit MpmcQueue(uint64_t capacity, uint64_t first_ticket = 0) : capacity_(capacity) {
    PERFKIT_CHECK(capacity >= 2 && (capacity & (capacity - 1)) == 0);
    for (auto& shard : shards_) shard.Init(capacity, first_ticket);
  }

  // False when the calling thread's shard is full.
  bool TryPush(const T& item) { return shards_[internal::ThreadNumber() % kShards].TryPush(item); }

  // False when every shard was empty (or held only slots still being
  // filled) as this thread passed it.
  bool TryPop(T* item) {
    internal::PopCursor& cursor = internal::ThisThreadsCursor();
    uint32_t start = cursor.shard;
    if (cursor.streak >= kStreak) {
      start = (start + 1) % kShards;
      cursor.streak = 0;
    }
    for (uint32_t i = 0; i < kShards; ++i) {
      const uint32_t s = (start + i) % kShards;
      if (shards_[s].TryPop(item)) {
        cursor.streak = s == cursor.shard ? cursor.streak + 1 : 1;
        cursor.shard = s;
        return true;
      }
    }
    return false;
  }

  uint64_t capacity() const { return capacity_; }

 private:
  internal::VyukovQueue<T> shards_[kShards];
  const uint64_t capacity_;
};

}  // namespace perfkit::rings
