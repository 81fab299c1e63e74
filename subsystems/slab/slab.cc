#include "subsystems/slab/slab.h"

#include <bit>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "subsystems/slab/fatal.h"
#include "subsystems/slab/slab_internal.h"

namespace perfkit::slab {
namespace internal {

Registry& GlobalRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

// Trivially destructible, so the fast path reads it without a TLS wrapper.
thread_local CacheSlot t_slots[kMaxAllocators];

struct ThreadExit {
  bool armed = false;
  ~ThreadExit() {
    std::lock_guard lock(GlobalRegistry().mu);
    for (CacheSlot& slot : t_slots) {
      if (slot.cache == nullptr) continue;
      if (slot.cache->owner != nullptr) slot.cache->owner->DetachCache(slot.cache);
      delete slot.cache;
      slot = {};
    }
  }
};
thread_local ThreadExit t_exit;

}  // namespace internal

using internal::ThreadCache;

Result<std::unique_ptr<SlabAllocator>> SlabAllocator::Create(const SlabOptions& options) {
  if (options.depot_magazines < 0) return Status::Error("slab: depot_magazines must be >= 0");
  BuddyOptions page_options;
  page_options.min_block = size_t{1} << internal::kPageShift;
  page_options.max_order = options.page_orders;
  page_options.debug_checks = options.debug_checks;
  if (page_options.min_block << options.page_orders < kSlabBytes) {
    return Status::Error("slab: page_orders must give at least one 64 KiB slab");
  }
  auto pages = BuddyAllocator::Create(page_options);
  if (!pages.ok()) return pages.status();
  internal::Registry& registry = internal::GlobalRegistry();
  std::lock_guard lock(registry.mu);
  for (int id = 0; id < internal::kMaxAllocators; ++id) {
    if (registry.slots[id] != nullptr) continue;
    auto* allocator =
        new SlabAllocator(std::move(pages).value(), options, id, registry.next_generation++);
    registry.slots[id] = allocator;
    return std::unique_ptr<SlabAllocator>(allocator);
  }
  return Status::Error("slab: more than 64 allocators alive at once");
}

SlabAllocator::SlabAllocator(std::unique_ptr<BuddyAllocator> pages, const SlabOptions& options,
                             int id, uint64_t generation)
    : pages_(std::move(pages)),
      base_(pages_->base()),
      region_bytes_(pages_->region_bytes()),
      options_(options),
      id_(id),
      generation_(generation),
      fast_generation_(options.debug_checks ? ~uint64_t{0} : generation),
      page_tags_(new uint8_t[region_bytes_ >> internal::kPageShift]()) {}

SlabAllocator::~SlabAllocator() {
  internal::Registry& registry = internal::GlobalRegistry();
  std::lock_guard lock(registry.mu);
  for (ThreadCache* c = caches_; c != nullptr; c = c->next) c->owner = nullptr;
  // Other threads free their stale caches when they exit or attach again.
  internal::CacheSlot& mine = internal::t_slots[id_];
  if (mine.generation == generation_) {
    delete mine.cache;
    mine = {};
  }
  registry.slots[id_] = nullptr;
  for (internal::ClassState& cs : classes_) {
    for (internal::DepotMagazine* list : {cs.full, cs.empty}) {
      while (list != nullptr) ::operator delete(std::exchange(list, list->next));
    }
  }
}

// The fast paths are leaf functions: anything unusual tail-calls the slow
// path, so they need no stack frame and no saved registers.
void* SlabAllocator::Allocate(size_t bytes) {
  const internal::CacheSlot& slot = internal::t_slots[id_];
  if (bytes <= kMaxSmallBytes && slot.generation == fast_generation_) [[likely]] {
    internal::Magazine& m = slot.cache->magazines[SizeClassOf(bytes)];
    const uint32_t n = m.count.load(std::memory_order_relaxed);
    if (n != 0) [[likely]] {
      internal::Bump(m.allocations);
      m.count.store(n - 1, std::memory_order_relaxed);
      return m.items[n - 1];
    }
  }
  return AllocateSlow(bytes);
}

void SlabAllocator::Free(void* p) {
  const size_t offset = static_cast<size_t>(static_cast<char*>(p) - base_);
  const internal::CacheSlot& slot = internal::t_slots[id_];
  if (offset < region_bytes_ && slot.generation == fast_generation_) [[likely]] {
    const unsigned size_class = page_tags_[offset >> internal::kPageShift] - 1u;
    if (size_class < kNumClasses) [[likely]] {
      internal::Magazine& m = slot.cache->magazines[size_class];
      const uint32_t n = m.count.load(std::memory_order_relaxed);
      if (n != kMagazineCapacity) [[likely]] {
        m.items[n] = p;
        m.count.store(n + 1, std::memory_order_relaxed);
        return;
      }
    }
  }
  FreeSlow(p);
}

ThreadCache* SlabAllocator::ThisThreadCache() {
  const internal::CacheSlot& slot = internal::t_slots[id_];
  return slot.generation == generation_ ? slot.cache : AttachThread();
}

void* SlabAllocator::AllocateSlow(size_t bytes) {
  if (bytes > kMaxSmallBytes) return AllocateLarge(bytes);
  const int c = SizeClassOf(bytes);
  ThreadCache* cache = ThisThreadCache();
  internal::Magazine& m = cache->magazines[c];
  internal::Bump(m.allocations);
  const uint32_t n = m.count.load(std::memory_order_relaxed);
  void* p;
  if (n != 0) {
    p = m.items[n - 1];
    m.count.store(n - 1, std::memory_order_relaxed);
  } else {
    p = Refill(cache, c);
    if (p == nullptr) return nullptr;
  }
  if (options_.debug_checks) MarkLive(p, true);
  return p;
}

void SlabAllocator::FreeSlow(void* p) {
  if (p == nullptr) return;
  const size_t offset = static_cast<size_t>(static_cast<char*>(p) - base_);
  if (offset >= region_bytes_) {
    internal::Fatal("free of a pointer this allocator did not return:", p);
  }
  const uint8_t tag = page_tags_[offset >> internal::kPageShift];
  if (tag == 0 || tag > kNumClasses) return FreeLarge(p, tag);
  const int c = tag - 1;
  if (options_.debug_checks) MarkLive(p, false);
  ThreadCache* cache = ThisThreadCache();
  internal::Magazine& m = cache->magazines[c];
  uint32_t n = m.count.load(std::memory_order_relaxed);
  if (n == kMagazineCapacity) {
    internal::Bump(m.free_misses);
    Flush(cache, c, n / 2);
    n -= n / 2;
  }
  m.items[n] = p;
  m.count.store(n + 1, std::memory_order_relaxed);
}

ThreadCache* SlabAllocator::AttachThread() {
  std::lock_guard lock(internal::GlobalRegistry().mu);
  internal::CacheSlot& slot = internal::t_slots[id_];
  // A cache left by an earlier allocator with this id; that allocator is gone.
  delete slot.cache;
  auto* cache = new ThreadCache;
  cache->owner = this;
  cache->generation = generation_;
  cache->next = caches_;
  if (caches_ != nullptr) caches_->prev = cache;
  caches_ = cache;
  slot = {cache, generation_};
  internal::t_exit.armed = true;  // registers the thread-exit flush
  return cache;
}

// Called with the registry lock held.
void SlabAllocator::DetachCache(ThreadCache* cache) {
  for (int c = 0; c < kNumClasses; ++c) {
    const uint32_t n = cache->magazines[c].count.load(std::memory_order_relaxed);
    if (n != 0) Flush(cache, c, n);
    const internal::Magazine& m = cache->magazines[c];
    internal::ClassState& cs = classes_[c];
    cs.retired_allocations += m.allocations.load(std::memory_order_relaxed);
    cs.retired_allocation_misses += m.allocation_misses.load(std::memory_order_relaxed);
    cs.retired_free_misses += m.free_misses.load(std::memory_order_relaxed);
  }
  if (cache->prev != nullptr) cache->prev->next = cache->next;
  if (cache->next != nullptr) cache->next->prev = cache->prev;
  if (caches_ == cache) caches_ = cache->next;
  cache->owner = nullptr;
}

void SlabAllocator::FlushThreadCache() {
  const internal::CacheSlot& slot = internal::t_slots[id_];
  if (slot.generation != generation_) return;
  ThreadCache* cache = slot.cache;
  for (int c = 0; c < kNumClasses; ++c) {
    const uint32_t n = cache->magazines[c].count.load(std::memory_order_relaxed);
    if (n != 0) Flush(cache, c, n);
  }
}

}  // namespace perfkit::slab
