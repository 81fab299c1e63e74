#include "subsystems/slab/slab.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
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

// The fast paths' view of the same: the thread's cache per allocator id, or
// g_no_cache, a sentinel whose magazines send every call to the slow path.
// No generation check is needed: a destroyed allocator marks the caches it
// leaves behind as having no magazines, and with debug checks on the thread's
// entry stays the sentinel.
constinit ThreadCache g_no_cache;
constexpr std::array<ThreadCache*, kMaxAllocators> NoCaches() {
  std::array<ThreadCache*, kMaxAllocators> caches{};
  caches.fill(&g_no_cache);
  return caches;
}
constinit thread_local std::array<ThreadCache*, kMaxAllocators> t_fast = NoCaches();

// The cache of one allocator per thread (the first it attaches to while none
// holds this one, debug checks off) lives in the thread's own storage: the
// fast paths find its magazines at a fixed offset from the thread pointer,
// so an allocate-then-free pair makes two dependent loads (the magazine's
// count and buffer, then the object) where t_fast's entry made it three.
constinit thread_local ThreadCache t_inline;

// Caches on the heap are freed; the inline one is reset when it is taken again.
void DropCache(ThreadCache* cache) {
  if (cache != &t_inline) delete cache;
}

// The inline cache, if no live allocator holds it, emptied and unlinked from
// the slots of the allocator that held it last; else null. The registry lock
// is held, and a destroyed owner has already taken its buffers.
ThreadCache* TakeInlineCache() {
  if (t_inline.owner.load(std::memory_order_relaxed) != nullptr) return nullptr;
  for (int id = 0; id < kMaxAllocators; ++id) {
    if (t_slots[id].cache != &t_inline) continue;
    t_slots[id] = {};
    t_fast[id] = &g_no_cache;
  }
  for (Magazine& m : t_inline.magazines) {
    m.state.store(kNoMagazine, std::memory_order_relaxed);
    m.loaded = m.previous = nullptr;
    m.previous_count.store(0, std::memory_order_relaxed);
    m.allocation_misses.store(0, std::memory_order_relaxed);
    m.free_misses.store(0, std::memory_order_relaxed);
  }
  t_inline.prev = t_inline.next = nullptr;
  return &t_inline;
}

struct ThreadExit {
  bool armed = false;
  ~ThreadExit() {
    std::lock_guard lock(GlobalRegistry().mu);
    for (CacheSlot& slot : t_slots) {
      if (slot.cache == nullptr) continue;
      if (SlabAllocator* owner = slot.cache->owner.load(std::memory_order_relaxed)) {
        owner->DetachCache(slot.cache);
      }
      DropCache(slot.cache);
      slot = {};
    }
    t_fast = NoCaches();
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
  // An eighth of the page provider per class (one slab at least), reserved
  // beside it, not counted against it.
  const size_t span = std::max(kSlabBytes, (*pages)->region_bytes() / 8);
  void* slabs = mmap(nullptr, internal::SlabMappingBytes(span), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (slabs == MAP_FAILED) {
    return Status::Error("slab: cannot reserve " +
                         std::to_string(internal::SlabMappingBytes(span)) +
                         " bytes: " + std::strerror(errno));
  }
  internal::Registry& registry = internal::GlobalRegistry();
  std::lock_guard lock(registry.mu);
  for (int id = 0; id < internal::kMaxAllocators; ++id) {
    if (registry.slots[id] != nullptr) continue;
    auto* allocator =
        new SlabAllocator(std::move(pages).value(), options, id, registry.next_generation++,
                          static_cast<char*>(slabs), std::countr_zero(span));
    registry.slots[id] = allocator;
    return std::unique_ptr<SlabAllocator>(allocator);
  }
  munmap(slabs, internal::SlabMappingBytes(span));
  return Status::Error("slab: more than 64 allocators alive at once");
}

SlabAllocator::SlabAllocator(std::unique_ptr<BuddyAllocator> pages, const SlabOptions& options,
                             int id, uint64_t generation, char* slab_mapping, int class_shift)
    : slab_mapping_(slab_mapping),
      slab_base_(reinterpret_cast<char*>(
          (reinterpret_cast<uintptr_t>(slab_mapping) + kSlabBytes - 1) & ~(kSlabBytes - 1))),
      class_shift_(class_shift),
      pages_(std::move(pages)),
      base_(pages_->base()),
      region_bytes_(pages_->region_bytes()),
      options_(options),
      id_(id),
      generation_(generation),
      page_tags_(new uint8_t[region_bytes_ >> internal::kPageShift]()) {
  for (int c = 0; c < kNumClasses; ++c) {
    classes_[c].span_next = slab_base_ + (size_t{1} << class_shift_) * c;
    classes_[c].span_end = classes_[c].span_next + (size_t{1} << class_shift_);
  }
}

SlabAllocator::~SlabAllocator() {
  internal::Registry& registry = internal::GlobalRegistry();
  std::lock_guard lock(registry.mu);
  // Other threads free their stale caches when they exit or attach again;
  // until then, their fast paths must find no magazines there.
  for (ThreadCache* c = caches_; c != nullptr; c = c->next) {
    c->owner.store(nullptr, std::memory_order_relaxed);
    for (internal::Magazine& m : c->magazines) {
      m.state.store(internal::kNoMagazine, std::memory_order_relaxed);
      ::operator delete(std::exchange(m.loaded, nullptr));
      ::operator delete(std::exchange(m.previous, nullptr));
    }
  }
  internal::CacheSlot& mine = internal::t_slots[id_];
  if (mine.generation == generation_) {
    internal::DropCache(mine.cache);
    mine = {};
    internal::t_fast[id_] = &internal::g_no_cache;
  }
  registry.slots[id_] = nullptr;
  for (internal::ClassState& cs : classes_) {
    for (internal::MagazineBuffer* list : {cs.full, cs.empty}) {
      while (list != nullptr) ::operator delete(std::exchange(list, list->next));
    }
  }
  munmap(slab_mapping_, internal::SlabMappingBytes(size_t{1} << class_shift_));
}

namespace {

// A magazine's fast paths: false when it is empty (full) or absent, and the
// slow path decides which.
inline bool TakeFrom(internal::Magazine& m, void*& p) {
  const uint64_t state = m.state.load(std::memory_order_relaxed);
  const uint32_t n = internal::CountOf(state);
  if (n - 1 >= SlabAllocator::kMagazineCapacity) [[unlikely]] {
    return false;
  }
  m.state.store(state + internal::kOneAllocation - 1, std::memory_order_relaxed);
  p = m.loaded->items[n - 1];
  return true;
}

inline bool PutInto(internal::Magazine& m, void* p) {
  const uint64_t state = m.state.load(std::memory_order_relaxed);
  const uint32_t n = internal::CountOf(state);
  if (n >= SlabAllocator::kMagazineCapacity) [[unlikely]] {
    return false;
  }
  m.loaded->items[n] = p;
  m.state.store(state + 1, std::memory_order_relaxed);
  return true;
}

}  // namespace

// The fast paths are leaf functions: anything unusual tail-calls the slow
// path, so they need no stack frame and no saved registers. The owner test
// is a branch, not a select: a select would wait for t_fast's entry too.
void* SlabAllocator::Allocate(size_t bytes) {
  if (bytes <= kMaxSmallBytes) [[likely]] {
    const int c = SizeClassOf(bytes);
    void* p;
    if (internal::t_inline.owner.load(std::memory_order_relaxed) == this) [[likely]] {
      if (TakeFrom(internal::t_inline.magazines[c], p)) [[likely]] {
        return p;
      }
    } else if (TakeFrom(internal::t_fast[id_]->magazines[c], p)) {
      return p;
    }
  }
  return AllocateSlow(bytes);
}

void SlabAllocator::Free(void* p) {
  const size_t size_class = static_cast<size_t>(static_cast<char*>(p) - slab_base_) >> class_shift_;
  if (size_class < kNumClasses) [[likely]] {
    if (internal::t_inline.owner.load(std::memory_order_relaxed) == this) [[likely]] {
      if (PutInto(internal::t_inline.magazines[size_class], p)) [[likely]] {
        return;
      }
    } else if (PutInto(internal::t_fast[id_]->magazines[size_class], p)) {
      return;
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
  uint64_t state = m.state.load(std::memory_order_relaxed);
  if (internal::CountOf(state) - 1 >= kMagazineCapacity) {
    internal::Bump(m.allocation_misses);
    state = Reload(cache, c);
    if (internal::CountOf(state) == 0) return nullptr;
  }
  const uint32_t n = internal::CountOf(state);
  m.state.store(state + internal::kOneAllocation - 1, std::memory_order_relaxed);
  void* p = m.loaded->items[n - 1];
  if (options_.debug_checks) MarkLive(p, true);
  return p;
}

void SlabAllocator::FreeSlow(void* p) {
  if (p == nullptr) return;
  int c = static_cast<int>(std::min<size_t>(
      static_cast<size_t>(static_cast<char*>(p) - slab_base_) >> class_shift_, kNumClasses));
  if (c == kNumClasses) {  // not in the slab region: the page provider's
    const size_t offset = static_cast<size_t>(static_cast<char*>(p) - base_);
    if (offset >= region_bytes_) {
      internal::Fatal("free of a pointer this allocator did not return:", p);
    }
    const uint8_t tag = page_tags_[offset >> internal::kPageShift];
    if (tag == 0 || tag > kNumClasses) return FreeLarge(p, tag);
    c = tag - 1;
  }
  if (options_.debug_checks) MarkLive(p, false);
  ThreadCache* cache = ThisThreadCache();
  internal::Magazine& m = cache->magazines[c];
  uint64_t state = m.state.load(std::memory_order_relaxed);
  if (internal::CountOf(state) >= kMagazineCapacity) {
    internal::Bump(m.free_misses);
    state = Unload(cache, c);
  }
  m.loaded->items[internal::CountOf(state)] = p;
  m.state.store(state + 1, std::memory_order_relaxed);
}

ThreadCache* SlabAllocator::AttachThread() {
  std::lock_guard lock(internal::GlobalRegistry().mu);
  internal::CacheSlot& slot = internal::t_slots[id_];
  // A cache left by an earlier allocator with this id; that allocator is gone.
  internal::DropCache(slot.cache);
  slot = {};
  ThreadCache* cache = options_.debug_checks ? nullptr : internal::TakeInlineCache();
  if (cache == nullptr) cache = new ThreadCache;
  cache->owner.store(this, std::memory_order_relaxed);
  cache->generation = generation_;
  cache->next = caches_;
  if (caches_ != nullptr) caches_->prev = cache;
  caches_ = cache;
  slot = {cache, generation_};
  // With debug checks on, every call takes the slow path, which checks.
  internal::t_fast[id_] = options_.debug_checks ? &internal::g_no_cache : cache;
  internal::t_exit.armed = true;  // registers the thread-exit flush
  return cache;
}

// Called with the registry lock held.
void SlabAllocator::DetachCache(ThreadCache* cache) {
  for (int c = 0; c < kNumClasses; ++c) {
    Flush(cache, c);
    internal::Magazine& m = cache->magazines[c];
    internal::ClassState& cs = classes_[c];
    std::lock_guard lock(cs.mu);
    for (internal::MagazineBuffer* b : {m.loaded, m.previous}) {
      if (b == nullptr) continue;
      b->next = cs.empty;
      cs.empty = b;
    }
    m.loaded = m.previous = nullptr;
    cs.retired_allocations += internal::AllocationsOf(m.state.load(std::memory_order_relaxed));
    m.state.store(internal::kNoMagazine, std::memory_order_relaxed);
    cs.retired_allocation_misses += m.allocation_misses.load(std::memory_order_relaxed);
    cs.retired_free_misses += m.free_misses.load(std::memory_order_relaxed);
  }
  if (cache->prev != nullptr) cache->prev->next = cache->next;
  if (cache->next != nullptr) cache->next->prev = cache->prev;
  if (caches_ == cache) caches_ = cache->next;
  cache->owner.store(nullptr, std::memory_order_relaxed);
}

void SlabAllocator::FlushThreadCache() {
  const internal::CacheSlot& slot = internal::t_slots[id_];
  if (slot.generation != generation_) return;
  for (int c = 0; c < kNumClasses; ++c) Flush(slot.cache, c);
}

}  // namespace perfkit::slab
