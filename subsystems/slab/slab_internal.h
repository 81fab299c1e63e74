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
constexpr size_t kPageBytes = size_t{1} << kPageShift;
constexpr size_t kSlabPages = SlabAllocator::kSlabBytes >> kPageShift;
// page_tags_ values: 0 = nothing starts or lives here, 1..kNumClasses = a page
// of a slab of class tag-1, kLargeTag|order = the first page of a large block.
constexpr uint8_t kLargeTag = 0x80;
constexpr int kMaxAllocators = 64;
// The slab region: a span per class, and a slab more to round its start up.
inline size_t SlabMappingBytes(size_t span) {
  return kNumClasses * span + SlabAllocator::kSlabBytes;
}

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

// One magazine's worth of objects: a thread's loaded or previous magazine,
// or one in the depot; the three trade them by pointer, never by copying.
struct MagazineBuffer {
  MagazineBuffer* next;  // in the depot's lists
  void* items[SlabAllocator::kMagazineCapacity];
};

constexpr int kCountBits = 16;
constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
constexpr uint64_t kOneAllocation = uint64_t{1} << kCountBits;
// A count above the capacity fails both fast paths' tests: a thread that has
// no magazine for the class yet, or whose allocator is gone, or the
// sentinel cache (g_no_cache) every thread starts with.
constexpr uint64_t kNoMagazine = kCountMask;
static_assert(SlabAllocator::kMagazineCapacity < kNoMagazine);

// One per thread and class (Bonwick's loaded and previous magazines).
struct alignas(64) Magazine {
  // The loaded magazine's count in the low 16 bits and the allocations made
  // (modulo 2^48) above them: one load and one store per allocation, where a
  // separate counter was a second load-add-store chain. Written only by the
  // owning thread; atomic so that Stats() may read it.
  std::atomic<uint64_t> state{kNoMagazine};
  MagazineBuffer* loaded = nullptr;  // a stack: the last object freed goes out first
  MagazineBuffer* previous = nullptr;
  std::atomic<uint32_t> previous_count{0};  // 0 or kMagazineCapacity
  // Frees are not counted on the fast path: all frees = all allocations -
  // objects in use, which Stats() knows.
  std::atomic<uint64_t> allocation_misses{0};  // had to swap or visit the depot or slabs
  std::atomic<uint64_t> free_misses{0};
};

inline uint32_t CountOf(uint64_t state) { return static_cast<uint32_t>(state & kCountMask); }
inline uint64_t AllocationsOf(uint64_t state) { return state >> kCountBits; }
inline uint64_t WithCount(uint64_t state, uint64_t count) { return (state & ~kCountMask) | count; }

struct ThreadCache {
  std::array<Magazine, kNumClasses> magazines;
  // Null once the allocator is destroyed. Atomic because the fast paths read
  // the thread's own cache's owner while a destructor elsewhere may clear it.
  std::atomic<SlabAllocator*> owner{nullptr};
  uint64_t generation = 0;
  ThreadCache* prev = nullptr;
  ThreadCache* next = nullptr;
};

// What a thread keeps per allocator id for the slow paths. `generation`
// tells a cache of the current allocator from one left by an earlier
// allocator with the same id.
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
