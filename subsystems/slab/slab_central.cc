// The shared side of the slab allocator: per-class depots and slab lists
// behind a lock, visited when a thread's two magazines are both empty or both
// full, and the page provider behind its own lock.
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <utility>

#include "subsystems/slab/fatal.h"
#include "subsystems/slab/slab.h"
#include "subsystems/slab/slab_internal.h"

namespace perfkit::slab {

using internal::ClassState;
using internal::Slab;
using internal::ThreadCache;

namespace {

size_t HeaderBytes(int size_class, bool debug_checks) {
  const size_t max_objects = SlabAllocator::kSlabBytes / ClassBytes(size_class);
  const size_t words = (max_objects + 63) / 64;
  const size_t bytes = sizeof(Slab) + words * sizeof(uint64_t) * (debug_checks ? 2 : 1);
  return (bytes + 63) & ~size_t{63};
}

void LinkPartial(ClassState& cs, Slab* s) {
  s->prev = nullptr;
  s->next = cs.partial;
  if (cs.partial != nullptr) cs.partial->prev = s;
  cs.partial = s;
  s->on_partial = true;
}

void UnlinkPartial(ClassState& cs, Slab* s) {
  if (s->prev != nullptr) s->prev->next = s->next;
  if (s->next != nullptr) s->next->prev = s->prev;
  if (cs.partial == s) cs.partial = s->next;
  s->on_partial = false;
}

// Takes up to `max` free objects from the slab's bitmap, lowest address first.
uint32_t TakeFree(Slab* s, void** out, uint32_t max) {
  const int shift = s->size_class + static_cast<int>(kMinClassShift);
  const uint32_t words = (s->capacity + 63) / 64;
  uint32_t taken = 0;
  uint32_t w = s->cursor;
  for (; w < words && taken < max; ++w) {
    uint64_t bits = s->free_bits[w];
    while (bits != 0 && taken < max) {
      const size_t index = size_t{w} * 64 + std::countr_zero(bits);
      out[taken++] = s->objects + (index << shift);
      bits &= bits - 1;
    }
    s->free_bits[w] = bits;
    if (bits != 0) break;
  }
  s->cursor = w;
  s->free_count -= taken;
  return taken;
}

}  // namespace

size_t SlabAllocator::SlabMetadataBytes(int size_class) const {
  return HeaderBytes(size_class, options_.debug_checks);
}

// Called with the class lock held.
Slab* SlabAllocator::NewSlab(int size_class) {
  ClassState& cs = classes_[size_class];
  char* mem;
  if (cs.released != nullptr) {
    mem = reinterpret_cast<char*>(std::exchange(cs.released, cs.released->next));
  } else if (cs.span_next < cs.span_end) {
    mem = std::exchange(cs.span_next, cs.span_next + kSlabBytes);
  } else {
    std::lock_guard lock(page_mu_);
    mem = static_cast<char*>(pages_->Allocate(kSlabBytes));
    if (mem == nullptr) return nullptr;
    std::memset(&page_tags_[static_cast<size_t>(mem - base_) >> internal::kPageShift],
                size_class + 1, internal::kSlabPages);
  }
  const size_t object_bytes = ClassBytes(size_class);
  const size_t header = HeaderBytes(size_class, options_.debug_checks);
  const uint32_t capacity = static_cast<uint32_t>((kSlabBytes - header) / object_bytes);
  const size_t words = (capacity + 63) / 64;
  auto* s = new (mem) Slab;
  s->size_class = size_class;
  s->capacity = capacity;
  s->free_count = capacity;
  s->cursor = 0;
  s->prev = s->next = nullptr;
  s->on_partial = false;
  s->objects = mem + header;
  s->free_bits = reinterpret_cast<uint64_t*>(mem + sizeof(Slab));
  for (size_t w = 0; w < words; ++w) {
    const uint32_t left = capacity - static_cast<uint32_t>(w * 64);
    s->free_bits[w] = left >= 64 ? ~uint64_t{0} : (uint64_t{1} << left) - 1;
  }
  s->live = nullptr;
  if (options_.debug_checks) {
    s->live = reinterpret_cast<std::atomic<uint64_t>*>(s->free_bits + words);
    for (size_t w = 0; w < words; ++w) new (&s->live[w]) std::atomic<uint64_t>(0);
  }
  ++classes_[size_class].slabs;
  return s;
}

// Called with the class lock held.
void SlabAllocator::ReleaseSlab(Slab* s) {
  ClassState& cs = classes_[s->size_class];
  --cs.slabs;
  if (InSlabRegion(s)) {
    s->next = cs.released;
    cs.released = s;
    return;
  }
  std::lock_guard lock(page_mu_);
  std::memset(
      &page_tags_[static_cast<size_t>(reinterpret_cast<char*>(s) - base_) >> internal::kPageShift],
      0, internal::kSlabPages);
  pages_->Free(s, kSlabBytes);
}

// Called with the class lock held.
internal::MagazineBuffer* SlabAllocator::NewBuffer(int size_class) {
  ClassState& cs = classes_[size_class];
  if (cs.empty != nullptr) return std::exchange(cs.empty, cs.empty->next);
  ++cs.magazines;
  return static_cast<internal::MagazineBuffer*>(::operator new(sizeof(internal::MagazineBuffer)));
}

// The loaded magazine is empty, or the thread has none yet: swap in the
// previous one if it is full, else trade the empty one for a full one from
// the depot, else take half a magazine from the slabs. Returns the new state,
// whose count is 0 only when the pages are exhausted.
uint64_t SlabAllocator::Reload(ThreadCache* cache, int size_class) {
  internal::Magazine& m = cache->magazines[size_class];
  uint32_t n;
  if (m.loaded != nullptr && m.previous_count.load(std::memory_order_relaxed) != 0) {
    std::swap(m.loaded, m.previous);
    m.previous_count.store(0, std::memory_order_relaxed);
    n = kMagazineCapacity;
  } else {
    ClassState& cs = classes_[size_class];
    std::lock_guard lock(cs.mu);
    if (m.loaded == nullptr) {
      m.loaded = NewBuffer(size_class);
      m.previous = NewBuffer(size_class);
    }
    if (cs.full != nullptr) {
      internal::MagazineBuffer* full = std::exchange(cs.full, cs.full->next);
      --cs.full_count;
      m.previous->next = cs.empty;
      cs.empty = std::exchange(m.previous, std::exchange(m.loaded, full));
      n = kMagazineCapacity;  // depot objects never left `out`
    } else {
      n = FillFromSlabs(size_class, m.loaded->items);
    }
  }
  const uint64_t state = internal::WithCount(m.state.load(std::memory_order_relaxed), n);
  m.state.store(state, std::memory_order_relaxed);
  return state;
}

// The loaded magazine is full, or the thread has none yet: swap in the
// previous one if it is empty, else hand the previous (full) one to the depot,
// or its objects to their slabs when the depot is full. Returns the new
// state, whose count is 0.
uint64_t SlabAllocator::Unload(ThreadCache* cache, int size_class) {
  internal::Magazine& m = cache->magazines[size_class];
  if (m.loaded != nullptr && m.previous_count.load(std::memory_order_relaxed) == 0) {
    std::swap(m.loaded, m.previous);
    m.previous_count.store(kMagazineCapacity, std::memory_order_relaxed);
  } else {
    ClassState& cs = classes_[size_class];
    std::lock_guard lock(cs.mu);
    if (m.loaded == nullptr) {
      m.previous = NewBuffer(size_class);
    } else if (cs.full_count < static_cast<uint32_t>(options_.depot_magazines)) {
      m.previous->next = cs.full;
      cs.full = std::exchange(m.previous, m.loaded);
      ++cs.full_count;
    } else {
      ReturnToSlabs(size_class, m.previous->items, kMagazineCapacity);
      cs.out -= kMagazineCapacity;
      m.previous->next = cs.empty;
      cs.empty = std::exchange(m.previous, m.loaded);
    }
    m.loaded = NewBuffer(size_class);
  }
  const uint64_t state = internal::WithCount(m.state.load(std::memory_order_relaxed), 0);
  m.state.store(state, std::memory_order_relaxed);
  return state;
}

// Called with the class lock held. Takes up to kRefill objects, lowest
// address on top, so that a run of allocations walks memory forwards.
uint32_t SlabAllocator::FillFromSlabs(int size_class, void** items) {
  ClassState& cs = classes_[size_class];
  uint32_t n = 0;
  while (n < kRefill) {
    Slab* s = cs.partial;
    if (s == nullptr) {
      s = cs.spare != nullptr ? std::exchange(cs.spare, nullptr) : NewSlab(size_class);
      if (s == nullptr) break;
      LinkPartial(cs, s);
    }
    n += TakeFree(s, items + n, kRefill - n);
    if (s->free_count == 0) UnlinkPartial(cs, s);
  }
  cs.out += n;
  std::reverse(items, items + n);
  return n;
}

// Returns the loaded magazine's objects to their slabs and the previous
// magazine, if full, to the depot (or its objects to their slabs).
void SlabAllocator::Flush(ThreadCache* cache, int size_class) {
  internal::Magazine& m = cache->magazines[size_class];
  if (m.loaded == nullptr) return;
  ClassState& cs = classes_[size_class];
  std::lock_guard lock(cs.mu);
  const uint64_t state = m.state.load(std::memory_order_relaxed);
  ReturnToSlabs(size_class, m.loaded->items, internal::CountOf(state));
  cs.out -= internal::CountOf(state);
  m.state.store(internal::WithCount(state, 0), std::memory_order_relaxed);
  if (m.previous_count.load(std::memory_order_relaxed) == 0) return;
  if (cs.full_count < static_cast<uint32_t>(options_.depot_magazines)) {
    m.previous->next = cs.full;
    cs.full = std::exchange(m.previous, NewBuffer(size_class));
    ++cs.full_count;
  } else {
    ReturnToSlabs(size_class, m.previous->items, kMagazineCapacity);
    cs.out -= kMagazineCapacity;
  }
  m.previous_count.store(0, std::memory_order_relaxed);
}

// Called with the class lock held.
void SlabAllocator::ReturnToSlabs(int size_class, void* const* items, uint32_t count) {
  const int shift = size_class + static_cast<int>(kMinClassShift);
  ClassState& cs = classes_[size_class];
  for (uint32_t i = 0; i < count; ++i) {
    char* p = static_cast<char*>(items[i]);
    auto* s = reinterpret_cast<Slab*>(reinterpret_cast<uintptr_t>(p) & ~(kSlabBytes - 1));
    const size_t index = static_cast<size_t>(p - s->objects) >> shift;
    s->free_bits[index / 64] |= uint64_t{1} << (index % 64);
    s->cursor = std::min(s->cursor, static_cast<uint32_t>(index / 64));
    if (++s->free_count == s->capacity) {
      if (s->on_partial) UnlinkPartial(cs, s);
      if (cs.spare == nullptr) {
        cs.spare = s;
      } else {
        ReleaseSlab(s);
      }
    } else if (!s->on_partial) {
      LinkPartial(cs, s);
    }
  }
}

void SlabAllocator::Trim() {
  for (int c = 0; c < kNumClasses; ++c) {
    ClassState& cs = classes_[c];
    std::lock_guard lock(cs.mu);
    while (cs.full != nullptr) {
      internal::MagazineBuffer* m = std::exchange(cs.full, cs.full->next);
      ReturnToSlabs(c, m->items, kMagazineCapacity);
      cs.out -= kMagazineCapacity;
      ::operator delete(m);
      --cs.magazines;
    }
    cs.full_count = 0;
    while (cs.empty != nullptr) {
      ::operator delete(std::exchange(cs.empty, cs.empty->next));
      --cs.magazines;
    }
    // Released slabs stay the class's; their memory but the first page,
    // which links them, goes back to the system.
    for (Slab* s = cs.released; s != nullptr; s = s->next) {
      madvise(reinterpret_cast<char*>(s) + internal::kPageBytes, kSlabBytes - internal::kPageBytes,
              MADV_DONTNEED);
    }
  }
}

void SlabAllocator::MarkLive(void* p, bool live) const {
  auto* s = reinterpret_cast<Slab*>(reinterpret_cast<uintptr_t>(p) & ~(kSlabBytes - 1));
  const auto offset = static_cast<char*>(p) - s->objects;
  const size_t bytes = ClassBytes(s->size_class);
  if (offset < 0 || static_cast<size_t>(offset) % bytes != 0 ||
      static_cast<size_t>(offset) / bytes >= s->capacity) {
    internal::Fatal("free of a pointer that is not the start of an object:", p);
  }
  const size_t index = static_cast<size_t>(offset) / bytes;
  const uint64_t bit = uint64_t{1} << (index % 64);
  if (live) {
    s->live[index / 64].fetch_or(bit, std::memory_order_relaxed);
  } else if ((s->live[index / 64].fetch_and(~bit, std::memory_order_relaxed) & bit) == 0) {
    internal::Fatal("double free of", p);
  }
}

void* SlabAllocator::AllocateLarge(size_t bytes) {
  std::lock_guard lock(page_mu_);
  void* p = pages_->Allocate(bytes);
  if (p == nullptr) return nullptr;
  const int order = pages_->OrderFor(bytes);
  page_tags_[static_cast<size_t>(static_cast<char*>(p) - base_) >> internal::kPageShift] =
      static_cast<uint8_t>(internal::kLargeTag | order);
  ++large_blocks_;
  large_bytes_ += pages_->BlockBytes(order);
  return p;
}

void SlabAllocator::FreeLarge(void* p, uint8_t tag) {
  const size_t offset = static_cast<size_t>(static_cast<char*>(p) - base_);
  if ((tag & internal::kLargeTag) == 0 || (offset & ((size_t{1} << internal::kPageShift) - 1))) {
    internal::Fatal("free of a pointer this allocator did not return (or a double free):", p);
  }
  const int order = tag & ~internal::kLargeTag;
  std::lock_guard lock(page_mu_);
  page_tags_[offset >> internal::kPageShift] = 0;
  --large_blocks_;
  large_bytes_ -= pages_->BlockBytes(order);
  pages_->Free(p, pages_->BlockBytes(order));
}

SlabStats SlabAllocator::Stats() const {
  SlabStats stats;
  std::lock_guard registry_lock(internal::GlobalRegistry().mu);
  uint64_t cached[kNumClasses] = {};
  uint64_t allocation_misses[kNumClasses] = {};
  uint64_t free_misses[kNumClasses] = {};
  for (const ThreadCache* c = caches_; c != nullptr; c = c->next) {
    stats.metadata_bytes += sizeof(ThreadCache);
    for (int k = 0; k < kNumClasses; ++k) {
      const internal::Magazine& m = c->magazines[k];
      const uint64_t state = m.state.load(std::memory_order_relaxed);
      stats.classes[k].allocations += internal::AllocationsOf(state);
      allocation_misses[k] += m.allocation_misses.load(std::memory_order_relaxed);
      free_misses[k] += m.free_misses.load(std::memory_order_relaxed);
      if (internal::CountOf(state) <= kMagazineCapacity) cached[k] += internal::CountOf(state);
      cached[k] += m.previous_count.load(std::memory_order_relaxed);
    }
  }
  for (int k = 0; k < kNumClasses; ++k) {
    ClassState& cs = classes_[k];
    std::lock_guard lock(cs.mu);
    ClassStats& s = stats.classes[k];
    s.object_size = ClassBytes(k);
    s.slabs = cs.slabs;
    s.objects_in_use = cs.out - cached[k] - uint64_t{cs.full_count} * kMagazineCapacity;
    s.allocations += cs.retired_allocations;
    s.fast_allocations = s.allocations - allocation_misses[k] - cs.retired_allocation_misses;
    s.frees = s.allocations - s.objects_in_use;
    s.fast_frees = s.frees - free_misses[k] - cs.retired_free_misses;
    stats.slab_bytes += cs.slabs * kSlabBytes;
    stats.metadata_bytes +=
        cs.slabs * SlabMetadataBytes(k) + cs.magazines * sizeof(internal::MagazineBuffer);
  }
  std::lock_guard lock(page_mu_);
  stats.large_blocks = large_blocks_;
  stats.large_bytes = large_bytes_;
  return stats;
}

}  // namespace perfkit::slab
