// A bounded multi-producer multi-consumer queue without locks, after the
// design Dmitry Vyukov published: every slot carries a sequence number that
// says whose turn it is, producers and consumers each claim a ticket with
// one compare-exchange on their own cache line, and a slot's sequence hands
// it from producer to consumer and back. Correct for any number of threads.
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

template <typename T>
class MpmcQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  // `first_ticket` lets tests start near 2^64.
  explicit MpmcQueue(uint64_t capacity, uint64_t first_ticket = 0)
      : cells_(new Cell[capacity]), mask_(capacity - 1) {
    PERFKIT_CHECK(capacity >= 2 && (capacity & (capacity - 1)) == 0);
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
        return false;  // empty
      } else {
        ticket = dequeue_.load(std::memory_order_relaxed);
      }
    }
  }

  uint64_t capacity() const { return mask_ + 1; }

 private:
  struct alignas(kCacheLine) Cell {
    std::atomic<uint64_t> sequence;
    T item;
  };
  std::unique_ptr<Cell[]> cells_;
  const uint64_t mask_;
  alignas(kCacheLine) std::atomic<uint64_t> enqueue_;
  alignas(kCacheLine) std::atomic<uint64_t> dequeue_;
};

}  // namespace perfkit::rings
