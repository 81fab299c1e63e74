// A single-producer single-consumer ring of trivially copyable items, over
// memory it may not own (so the same code runs in one process or across two
// through a shared mapping). Head and tail sit on their own cache lines, and
// each side keeps a private copy of the other's index beside its own, so the
// common case reads no line the other side writes; only release/acquire.
// Indices are 64-bit and never wrap in practice; tests start them near the
// limit to prove wrap-around is harmless.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include "subsystems/base/check.h"

namespace perfkit::rings {

inline constexpr size_t kCacheLine = 64;

// The shared part of a ring: one line per side, then the geometry.
struct SpscHeader {
  alignas(kCacheLine) std::atomic<uint64_t> tail;  // producer's: next slot to fill
  uint64_t head_cache;                             // producer's view of head
  alignas(kCacheLine) std::atomic<uint64_t> head;  // consumer's: next slot to read
  uint64_t tail_cache;                             // consumer's view of tail
  alignas(kCacheLine) uint64_t capacity;           // a power of two
};
static_assert(sizeof(SpscHeader) == 3 * kCacheLine);

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  static constexpr size_t Bytes(uint64_t capacity) {
    return sizeof(SpscHeader) + capacity * sizeof(T);
  }

  // Lays out a new ring in `memory` (Bytes(capacity), cache-line aligned);
  // `first_index` lets tests start near 2^64.
  static SpscRing Create(void* memory, uint64_t capacity, uint64_t first_index = 0) {
    PERFKIT_CHECK(capacity >= 2 && (capacity & (capacity - 1)) == 0);
    auto* h = new (memory) SpscHeader;
    h->tail.store(first_index, std::memory_order_relaxed);
    h->head.store(first_index, std::memory_order_relaxed);
    h->head_cache = h->tail_cache = first_index;
    h->capacity = capacity;
    return SpscRing(h, capacity);
  }
  // A ring another process created: its capacity comes from the caller (what
  // the mapping was sized for), never from shared memory.
  static SpscRing Attach(void* memory, uint64_t capacity) {
    return SpscRing(static_cast<SpscHeader*>(memory), capacity);
  }

  // Producer side.
  bool TryPush(const T& item) { return PushBulk(&item, 1) == 1; }
  // Pushes up to n items with one index update; returns how many.
  size_t PushBulk(const T* items, size_t n) {
    const uint64_t tail = h_->tail.load(std::memory_order_relaxed);
    uint64_t free = capacity_ - (tail - h_->head_cache);
    if (free < n) {
      h_->head_cache = h_->head.load(std::memory_order_acquire);
      free = capacity_ - (tail - h_->head_cache);
      if (free > capacity_) return 0;  // a corrupt head from an untrusted peer
    }
    n = n < free ? n : free;
    for (size_t i = 0; i < n; ++i) slots_[(tail + i) & mask_] = items[i];
    h_->tail.store(tail + n, std::memory_order_release);
    return n;
  }

  // Consumer side.
  bool TryPop(T* item) { return PopBulk(item, 1) == 1; }
  // Pops up to n items with one index update; returns how many, or
  // kCorrupt when the producer's index is impossible (more than capacity
  // ahead): the peer is not trusted.
  static constexpr size_t kCorrupt = SIZE_MAX;
  size_t PopBulk(T* items, size_t n) {
    const uint64_t head = h_->head.load(std::memory_order_relaxed);
    uint64_t ready = h_->tail_cache - head;
    if (ready < n) {
      h_->tail_cache = h_->tail.load(std::memory_order_acquire);
      ready = h_->tail_cache - head;
      if (ready > capacity_) return kCorrupt;
    }
    n = n < ready ? n : ready;
    for (size_t i = 0; i < n; ++i) items[i] = slots_[(head + i) & mask_];
    h_->head.store(head + n, std::memory_order_release);
    return n;
  }

  // For a consumer about to sleep: is anything there (reads the shared tail).
  bool Empty() const {
    return h_->tail.load(std::memory_order_acquire) == h_->head.load(std::memory_order_relaxed);
  }
  // For a producer about to sleep: is there room.
  bool Full() const {
    return h_->tail.load(std::memory_order_relaxed) - h_->head.load(std::memory_order_acquire) >=
           capacity_;
  }
  uint64_t capacity() const { return capacity_; }
  SpscHeader* header() const { return h_; }

 private:
  SpscRing(SpscHeader* h, uint64_t capacity)
      : h_(h),
        slots_(reinterpret_cast<T*>(reinterpret_cast<uint8_t*>(h) + sizeof(SpscHeader))),
        capacity_(capacity),
        mask_(capacity - 1) {}

  SpscHeader* h_;
  T* slots_;
  uint64_t capacity_;
  uint64_t mask_;
};

// An SPSC ring that owns its memory, for threads of one process.
template <typename T>
class OwnedSpscRing {
 public:
  explicit OwnedSpscRing(uint64_t capacity, uint64_t first_index = 0)
      : memory_(static_cast<uint8_t*>(
            ::operator new (SpscRing<T>::Bytes(capacity), std::align_val_t{kCacheLine}))),
        ring_(SpscRing<T>::Create(memory_.get(), capacity, first_index)) {}
  SpscRing<T>& operator*() { return ring_; }
  SpscRing<T>* operator->() { return &ring_; }

 private:
  struct AlignedDelete {
    void operator()(uint8_t* p) const { ::operator delete (p, std::align_val_t{kCacheLine}); }
  };
  std::unique_ptr<uint8_t, AlignedDelete> memory_;
  SpscRing<T> ring_;
};

}  // namespace perfkit::rings
