// The parts of the slab allocator shared by its fast path (slab.cc) and its
// central lists (slab_central.cc).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "subsystems/slab/slab.h"

namespace perfkit::slab::internal {

constexpr size_t kPageShift = 12;
constexpr size_t kSlabPages = SlabAllocator::kSlabBytes >> kPageShift;
// page_tags_ values: 0 = nothing starts or lives here, 1..kNumClasses = a page
// of a slab of class tag-1, kLargeTag|order = the first page of a large block.
constexpr uint8_t kLargeTag = 0x80;
constexpr int kMaxAllocators = 64;

// Lives at the start of each 64 KiB slab; its bitmaps follow it, then the
// objects from the next 64-byte boundary.
struct Slab {
  int size_class;
  uint32_t capacity;
  uint32_t free_count;
  uint32_t cursor;  // no free bits below this bitmap word
  Slab* prev;
  Slab* next;
  bool on_partial;
  char* objects;
  uint64_t* free_bits;          // 1 = free in this slab
  std::atomic<uint64_t>* live;  // 1 = held by a caller; debug checks only
};

// Per class: the count and counters share a cache line with the top of
// the stack.
struct alignas(64) Magazine {
  // Written only by the owning thread; atomic so Stats() may read them.
  std::atomic<uint32_t> count{0};
  // Frees are not counted on the fast path: all frees = all allocations -
  // objects in use, which Stats() knows.
  std::atomic<uint64_t> allocations{0};
  std::atomic<uint64_t> allocation_misses{0};  // had to visit the depot or slabs
  std::atomic<uint64_t> free_misses{0};
  // A LIFO stack: the last object freed is the next one handed out. Inline,
  // so the fast path does not load a pointer to it first.
  void* items[SlabAllocator::kMagazineCapacity];
};

struct ThreadCache {
  std::array<Magazine, kNumClasses> magazines;
  SlabAllocator* owner = nullptr;  // null once the allocator is destroyed
  uint64_t generation = 0;
  ThreadCache* prev = nullptr;
  ThreadCache* next = nullptr;
};

// What a thread keeps per allocator id. `generation` tells a cache of the
// current allocator from one left by an earlier allocator with the same id.
struct CacheSlot {
  ThreadCache* cache;
  uint64_t generation;
};

// Single-writer counters: a plain load and store, no locked instruction.
inline void Bump(std::atomic<uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// Allocators, thread caches and thread exit meet here. Never destroyed:
// threads may exit after static destructors have run.
struct Registry {
  std::mutex mu;
  SlabAllocator* slots[kMaxAllocators] = {};
  uint64_t next_generation = 1;
};
Registry& GlobalRegistry();

}  // namespace perfkit::slab::internal
