// A binary buddy allocator over one contiguous, size-aligned region: blocks of
// min_block << order bytes, split on allocation and merged with their buddy on
// free. The slab allocator takes its pages from it; the slab suite also runs
// it with 16 B blocks as the baseline for small objects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::slab {

struct BuddyOptions {
  size_t min_block = 4096;    // a power of two, at least 16 (two free-list links)
  int max_order = 18;         // region = min_block << max_order (1 GiB here)
  bool debug_checks = false;  // detect double and misaligned frees (O(orders))
};

// Not thread-safe: callers serialise (the slab allocator holds its page lock).
class BuddyAllocator {
 public:
  // Reserves the region with mmap (MAP_NORESERVE: pages cost memory only once
  // touched). Fails on bad options or when the address space is not there.
  static Result<std::unique_ptr<BuddyAllocator>> Create(const BuddyOptions& options);
  ~BuddyAllocator();
  BuddyAllocator(const BuddyAllocator&) = delete;
  BuddyAllocator& operator=(const BuddyAllocator&) = delete;

  // A block of at least `bytes` (0 counts as 1), aligned to its own size; null
  // when no free block is that large or `bytes` exceeds the region.
  void* Allocate(size_t bytes);
  // `bytes` as passed to Allocate. Null is ignored.
  void Free(void* block, size_t bytes);

  // -1 when `bytes` exceeds the whole region.
  int OrderFor(size_t bytes) const;
  size_t BlockBytes(int order) const { return min_block_ << order; }
  bool Contains(const void* p) const {
    return static_cast<size_t>(static_cast<const char*>(p) - base_) < region_bytes_;
  }
  char* base() const { return base_; }
  size_t region_bytes() const { return region_bytes_; }
  size_t free_bytes() const { return free_bytes_; }
  int max_order() const { return max_order_; }
  // The per-order free bitmaps; free-list links live inside the free blocks.
  size_t metadata_bytes() const;

 private:
  struct FreeBlock {
    FreeBlock* next;
    FreeBlock* prev;
  };
  BuddyAllocator(char* base, char* mapping, size_t mapping_bytes, const BuddyOptions& options);

  size_t IndexOf(const void* block, int order) const {
    return static_cast<size_t>(static_cast<const char*>(block) - base_) >> (min_shift_ + order);
  }
  char* BlockAt(int order, size_t index) const { return base_ + (index << (min_shift_ + order)); }
  bool IsFree(int order, size_t index) const {
    return (free_bits_[order][index / 64] >> (index % 64)) & 1;
  }
  void Push(int order, char* block);
  void Unlink(int order, FreeBlock* block);
  void CheckFree(void* block, int order) const;

  char* base_;
  char* mapping_;
  size_t mapping_bytes_;
  size_t min_block_;
  int min_shift_;
  int max_order_;
  size_t region_bytes_;
  size_t free_bytes_ = 0;
  bool debug_checks_;
  uint64_t nonempty_orders_ = 0;  // bit k: order k has a free block
  std::vector<FreeBlock*> heads_;
  std::vector<std::vector<uint64_t>> free_bits_;  // [order][index / 64]
};

}  // namespace perfkit::slab
