#include "subsystems/slab/buddy.h"

#include <sys/mman.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "subsystems/slab/fatal.h"

namespace perfkit::slab {
namespace internal {

void Fatal(const char* what, const void* p) {
  std::fprintf(stderr, "perfkit slab: %s %p\n", what, p);
  std::abort();
}

}  // namespace internal

Result<std::unique_ptr<BuddyAllocator>> BuddyAllocator::Create(const BuddyOptions& options) {
  if (!std::has_single_bit(options.min_block) || options.min_block < sizeof(FreeBlock)) {
    return Status::Error("buddy: min_block must be a power of two >= 16, got " +
                         std::to_string(options.min_block));
  }
  const int min_shift = std::countr_zero(options.min_block);
  if (options.max_order < 0 || min_shift + options.max_order > 46) {
    return Status::Error("buddy: region of 2^" + std::to_string(min_shift + options.max_order) +
                         " bytes is out of range (max 2^46)");
  }
  const size_t region = options.min_block << options.max_order;
  // Twice the size, then trimmed, so the region is aligned to its own size
  // and every block is aligned to its size in absolute addresses too.
  const size_t mapping_bytes = 2 * region;
  void* m = mmap(nullptr, mapping_bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    return Status::Error("buddy: cannot reserve " + std::to_string(mapping_bytes) +
                         " bytes: " + std::strerror(errno));
  }
  char* mapping = static_cast<char*>(m);
  const uintptr_t aligned = (reinterpret_cast<uintptr_t>(mapping) + region - 1) & ~(region - 1);
  return std::unique_ptr<BuddyAllocator>(
      new BuddyAllocator(reinterpret_cast<char*>(aligned), mapping, mapping_bytes, options));
}

BuddyAllocator::BuddyAllocator(char* base, char* mapping, size_t mapping_bytes,
                               const BuddyOptions& options)
    : base_(base),
      mapping_(mapping),
      mapping_bytes_(mapping_bytes),
      min_block_(options.min_block),
      min_shift_(std::countr_zero(options.min_block)),
      max_order_(options.max_order),
      region_bytes_(options.min_block << options.max_order),
      debug_checks_(options.debug_checks),
      heads_(options.max_order + 1, nullptr),
      free_bits_(options.max_order + 1) {
  for (int k = 0; k <= max_order_; ++k) {
    const size_t blocks = size_t{1} << (max_order_ - k);
    free_bits_[k].assign((blocks + 63) / 64, 0);
  }
  Push(max_order_, base_);
}

BuddyAllocator::~BuddyAllocator() { munmap(mapping_, mapping_bytes_); }

size_t BuddyAllocator::metadata_bytes() const {
  size_t bytes = 0;
  for (const auto& bits : free_bits_) bytes += bits.size() * sizeof(uint64_t);
  return bytes;
}

int BuddyAllocator::OrderFor(size_t bytes) const {
  if (bytes > region_bytes_) return -1;
  const size_t blocks = (bytes + min_block_ - 1) >> min_shift_;
  return blocks <= 1 ? 0 : std::bit_width(blocks - 1);
}

void BuddyAllocator::Push(int order, char* block) {
  auto* b = reinterpret_cast<FreeBlock*>(block);
  b->prev = nullptr;
  b->next = heads_[order];
  if (b->next != nullptr) b->next->prev = b;
  heads_[order] = b;
  const size_t index = IndexOf(block, order);
  free_bits_[order][index / 64] |= uint64_t{1} << (index % 64);
  nonempty_orders_ |= uint64_t{1} << order;
  free_bytes_ += BlockBytes(order);
}

void BuddyAllocator::Unlink(int order, FreeBlock* b) {
  if (b->prev != nullptr) {
    b->prev->next = b->next;
  } else {
    heads_[order] = b->next;
  }
  if (b->next != nullptr) b->next->prev = b->prev;
  if (heads_[order] == nullptr) nonempty_orders_ &= ~(uint64_t{1} << order);
  const size_t index = IndexOf(b, order);
  free_bits_[order][index / 64] &= ~(uint64_t{1} << (index % 64));
  free_bytes_ -= BlockBytes(order);
}

void* BuddyAllocator::Allocate(size_t bytes) {
  const int order = OrderFor(bytes);
  if (order < 0) return nullptr;
  // The smallest order at or above the request with a free block, in one
  // count-trailing-zeros over the non-empty-order mask.
  const uint64_t candidates = nonempty_orders_ >> order;
  if (candidates == 0) return nullptr;
  int k = order + std::countr_zero(candidates);
  FreeBlock* block = heads_[k];
  Unlink(k, block);
  char* p = reinterpret_cast<char*>(block);
  while (k > order) {
    --k;
    Push(k, p + BlockBytes(k));  // keep the lower half, free the upper
  }
  return p;
}

void BuddyAllocator::CheckFree(void* block, int order) const {
  if (!Contains(block)) internal::Fatal("buddy: free of a pointer outside the region", block);
  if ((static_cast<char*>(block) - base_) & (BlockBytes(order) - 1)) {
    internal::Fatal("buddy: free of a pointer that is not a block start", block);
  }
  // A freed block may since have merged into any larger free block.
  for (int k = order; k <= max_order_; ++k) {
    if (IsFree(k, IndexOf(block, order) >> (k - order))) {
      internal::Fatal("buddy: double free of", block);
    }
  }
}

void BuddyAllocator::Free(void* block, size_t bytes) {
  if (block == nullptr) return;
  int order = OrderFor(bytes);
  PERFKIT_CHECK(order >= 0);
  if (debug_checks_) CheckFree(block, order);
  size_t index = IndexOf(block, order);
  while (order < max_order_ && IsFree(order, index ^ 1)) {
    Unlink(order, reinterpret_cast<FreeBlock*>(BlockAt(order, index ^ 1)));
    index >>= 1;
    ++order;
  }
  Push(order, BlockAt(order, index));
}

}  // namespace perfkit::slab
