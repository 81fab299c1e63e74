// A slab allocator for small objects (size classes 16..512 B) with per-thread
// magazines in front of per-class slabs, taking 64 KiB slabs and large
// requests from a buddy page provider. Safe to call from any thread; an
// object may be freed by a thread other than the one that allocated it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "subsystems/base/status.h"
#include "subsystems/slab/buddy.h"
#include "subsystems/slab/size_class.h"

namespace perfkit::slab {

struct SlabOptions {
  int page_orders = 18;  // page provider: 4 KiB << 18 = 1 GiB reserved
  // Full magazines the depot keeps per class before objects go back to their
  // slabs: 16 x 256 objects covers a burst of 4000 frees.
  int depot_magazines = 16;
#ifdef NDEBUG
  bool debug_checks = false;
#else
  bool debug_checks = true;  // double free, interior and foreign pointers abort
#endif
};

struct ClassStats {
  size_t object_size = 0;
  uint64_t objects_in_use = 0;  // held by callers (not counting thread caches)
  uint64_t slabs = 0;
  uint64_t allocations = 0;
  uint64_t frees = 0;
  uint64_t fast_allocations = 0;  // served by the thread's magazine alone
  uint64_t fast_frees = 0;
  double FastPathHitRate() const {
    const uint64_t calls = allocations + frees;
    return calls == 0 ? 0.0 : static_cast<double>(fast_allocations + fast_frees) / calls;
  }
};

struct SlabStats {
  std::array<ClassStats, kNumClasses> classes;
  uint64_t large_blocks = 0;  // requests above 512 B, served by the buddy
  uint64_t large_bytes = 0;
  uint64_t slab_bytes = 0;      // memory held in slabs
  uint64_t metadata_bytes = 0;  // slab headers and bitmaps, thread caches
  double MetadataRatio() const {
    return slab_bytes == 0 ? 0.0 : static_cast<double>(metadata_bytes) / slab_bytes;
  }
};

namespace internal {
struct Slab;
struct ThreadCache;
struct ThreadExit;
struct MagazineBuffer;
struct alignas(64) ClassState {
  std::mutex mu;
  // Full magazines handed in by thread caches (Bonwick's depot): a thread
  // that runs dry takes a whole one instead of visiting slabs object by object.
  MagazineBuffer* full = nullptr;
  MagazineBuffer* empty = nullptr;
  uint32_t full_count = 0;
  uint32_t magazines = 0;   // in the depot and in thread caches
  Slab* partial = nullptr;  // slabs with at least one free object
  Slab* spare = nullptr;    // one empty slab kept back so pairs do not thrash
  // The class's own span of the slab region: carved from `span_next` up,
  // released slabs kept on `released` for the class to take again.
  char* span_next = nullptr;
  char* span_end = nullptr;
  Slab* released = nullptr;
  uint64_t slabs = 0;
  uint64_t out = 0;  // objects out of their slabs: in caches, the depot or callers
  // Counters of thread caches that have gone (guarded by the registry lock).
  uint64_t retired_allocations = 0;
  uint64_t retired_allocation_misses = 0;
  uint64_t retired_free_misses = 0;
};
}  // namespace internal

class SlabAllocator {
 public:
  static constexpr size_t kSlabBytes = 64 * 1024;
  // Objects per magazine. A thread holds two per class (Bonwick's loaded and
  // previous) and trades whole magazines with the depot by pointer; from the
  // slabs it takes half a magazine at a time. Batches of 1000 at 16-32 B ran
  // at 1.16-1.59x mimalloc over five runs with 256, 0.97-1.47x with 128 in the
  // runs beside them (Zen 4).
  static constexpr uint32_t kMagazineCapacity = 256;
  static constexpr uint32_t kRefill = kMagazineCapacity / 2;

  static Result<std::unique_ptr<SlabAllocator>> Create(const SlabOptions& options = {});
  // Threads must have stopped using the allocator; their cached objects are
  // dropped with the region.
  ~SlabAllocator();
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  // 1..512 B come from the size class that fits, aligned to min(class, 64);
  // 0 B is served as 1 B (a unique pointer, to be freed like any other).
  // Larger requests go to the page provider, aligned to at least 4 KiB.
  // Null only when the page provider is exhausted or `bytes` exceeds it.
  void* Allocate(size_t bytes);
  // Null is ignored. A pointer this allocator did not return aborts with a
  // message when debug checks are on (always, if it lies outside the region).
  void Free(void* p);

  SlabStats Stats() const;
  // Returns the calling thread's cached objects to the depot and slabs.
  void FlushThreadCache();
  // Returns the depot's objects to their slabs, and empty slabs to the pages
  // (or, in a class's span, their memory but a page to the system).
  void Trim();

 private:
  SlabAllocator(std::unique_ptr<BuddyAllocator> pages, const SlabOptions& options, int id,
                uint64_t generation, char* slab_mapping, int class_shift);
  friend struct internal::ThreadExit;

  void* AllocateSlow(size_t bytes);
  void FreeSlow(void* p);
  internal::ThreadCache* ThisThreadCache();
  internal::ThreadCache* AttachThread();
  uint64_t Reload(internal::ThreadCache* cache, int size_class);
  uint64_t Unload(internal::ThreadCache* cache, int size_class);
  uint32_t FillFromSlabs(int size_class, void** items);
  void Flush(internal::ThreadCache* cache, int size_class);
  internal::MagazineBuffer* NewBuffer(int size_class);
  void ReturnToSlabs(int size_class, void* const* items, uint32_t count);
  void DetachCache(internal::ThreadCache* cache);
  internal::Slab* NewSlab(int size_class);
  void ReleaseSlab(internal::Slab* slab);
  bool InSlabRegion(const void* p) const {
    return static_cast<size_t>(static_cast<const char*>(p) - slab_base_) >> class_shift_ <
           kNumClasses;
  }
  void* AllocateLarge(size_t bytes);
  void FreeLarge(void* p, uint8_t tag);
  void MarkLive(void* p, bool live) const;
  size_t SlabMetadataBytes(int size_class) const;

  // Slabs of class c are carved from [slab_base_ + (c << class_shift_), +1
  // << class_shift_): Free finds an object's class by arithmetic, where a
  // page tag it had to load first made the fourth dependent load of an
  // allocate-then-free pair. A class that fills its span takes slabs from
  // the page provider, tagged, and frees those on the slow path.
  char* const slab_mapping_;
  char* const slab_base_;  // slab_mapping_ rounded up to a slab
  const int class_shift_;
  std::unique_ptr<BuddyAllocator> pages_;
  char* const base_;  // pages_->base(), kept here for the free path
  const size_t region_bytes_;
  const SlabOptions options_;
  const int id_;
  const uint64_t generation_;
  std::unique_ptr<uint8_t[]> page_tags_;  // per 4 KiB page: what starts or lives there
  mutable std::mutex page_mu_;            // pages_, page_tags_ writes, large_*
  uint64_t large_blocks_ = 0;
  uint64_t large_bytes_ = 0;
  mutable std::array<internal::ClassState, kNumClasses> classes_;
  // Thread caches attached to this allocator, guarded by the registry lock.
  internal::ThreadCache* caches_ = nullptr;
};

}  // namespace perfkit::slab
