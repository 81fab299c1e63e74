#include "subsystems/virtio/driver_queue.h"

#include <cstdlib>
#include <cstring>

#include "subsystems/base/check.h"

namespace perfkit::virtio {
namespace {

constexpr size_t kPage = 4096;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

void FreeAligned(uint8_t* p) { std::free(p); }

}  // namespace

DriverQueue::DriverQueue(uint16_t size, QueueFeatures features, uint16_t max_segments)
    : size_(size),
      features_(features),
      max_segments_(max_segments),
      avail_offset_(RoundUp(RingLayout::DescBytes(size), kPage)),
      used_offset_(avail_offset_ + RoundUp(RingLayout::AvailBytes(size), kPage)),
      indirect_offset_(used_offset_ + RoundUp(RingLayout::UsedBytes(size), kPage)),
      bytes_(indirect_offset_ + RoundUp(size_t{16} * size * max_segments, kPage)),
      memory_(static_cast<uint8_t*>(std::aligned_alloc(kPage, bytes_)), &FreeAligned),
      next_free_(size),
      chain_length_(size, 0),
      free_count_(size) {
  PERFKIT_CHECK(size > 0 && (size & (size - 1)) == 0);
  PERFKIT_CHECK(memory_ != nullptr);
  std::memset(memory_.get(), 0, bytes_);
  for (uint16_t i = 0; i < size; ++i) next_free_[i] = static_cast<uint16_t>(i + 1);
}

QueueAddresses DriverQueue::addresses() const { return {size_, desc(), avail(), used()}; }

MemoryRegion DriverQueue::ring_region() const {
  const auto base = reinterpret_cast<uint64_t>(memory_.get());
  return {base, bytes_, base, memory_.get()};
}

Desc* DriverQueue::indirect_table(uint16_t head) const {
  return reinterpret_cast<Desc*>(memory_.get() + indirect_offset_ +
                                 size_t{16} * max_segments_ * head);
}

void DriverQueue::WriteDesc(uint8_t* table, uint16_t i, const Desc& d) {
  std::memcpy(table + size_t{16} * i, &d, sizeof d);
}

bool DriverQueue::Add(const Buffer* buffers, size_t n) {
  if (n == 0 || n > max_segments_) return false;
  const bool indirect = features_.indirect && n > 1;
  const uint16_t needed = indirect ? 1 : static_cast<uint16_t>(n);
  if (free_count_ < needed) return false;
  const uint16_t head = free_head_;
  if (indirect) {
    Desc* table = indirect_table(head);
    for (size_t k = 0; k < n; ++k) {
      table[k] = {reinterpret_cast<uint64_t>(buffers[k].data), buffers[k].len,
                  static_cast<uint16_t>((buffers[k].writable ? kDescWrite : 0) |
                                        (k + 1 < n ? kDescNext : 0)),
                  static_cast<uint16_t>(k + 1)};
    }
    WriteDesc(desc(), head,
              {reinterpret_cast<uint64_t>(table), static_cast<uint32_t>(16 * n), kDescIndirect, 0});
    free_head_ = next_free_[head];
  } else {
    uint16_t i = head;
    for (size_t k = 0; k < n; ++k) {
      const uint16_t next = next_free_[i];
      WriteDesc(desc(), i,
                {reinterpret_cast<uint64_t>(buffers[k].data), buffers[k].len,
                 static_cast<uint16_t>((buffers[k].writable ? kDescWrite : 0) |
                                       (k + 1 < n ? kDescNext : 0)),
                 next});
      i = next;
    }
    free_head_ = i;
  }
  free_count_ = static_cast<uint16_t>(free_count_ - needed);
  chain_length_[head] = needed;
  std::memcpy(avail() + RingLayout::kAvailRing + size_t{2} * (avail_idx_ % size_), &head, 2);
  ++avail_idx_;
  return true;
}

bool DriverQueue::PublishAndNeedKick() {
  StoreRelease(avail() + RingLayout::kAvailIdx, avail_idx_);
  FullFence();
  bool need;
  if (features_.event_idx) {
    const uint16_t event = LoadRelaxed(used() + RingLayout::AvailEvent(size_));
    need = NeedEvent(event, avail_idx_, kicked_at_);
  } else {
    need = !(LoadRelaxed(used() + RingLayout::kUsedFlags) & kUsedNoNotify);
  }
  kicked_at_ = avail_idx_;
  kicks_ += need;
  return need;
}

bool DriverQueue::PopUsed(uint16_t* head, uint32_t* written) {
  if (last_used_ == LoadAcquire(used() + RingLayout::kUsedIdx)) return false;
  UsedElem e;
  std::memcpy(&e, used() + RingLayout::kUsedRing + sizeof e * (last_used_ % size_), sizeof e);
  ++last_used_;
  PERFKIT_CHECK(e.id < size_ && chain_length_[e.id] > 0);
  // Back on the free list: the chain's descriptors, in the order Add took them.
  uint16_t tail = static_cast<uint16_t>(e.id);
  for (uint16_t k = 1; k < chain_length_[e.id]; ++k) tail = next_free_[tail];
  next_free_[tail] = free_head_;
  free_head_ = static_cast<uint16_t>(e.id);
  free_count_ = static_cast<uint16_t>(free_count_ + chain_length_[e.id]);
  chain_length_[e.id] = 0;
  *head = static_cast<uint16_t>(e.id);
  *written = e.len;
  return true;
}

bool DriverQueue::EnableInterrupts() {
  if (features_.event_idx) {
    StoreRelaxed(avail() + RingLayout::UsedEvent(size_), last_used_);
  } else {
    StoreRelaxed(avail() + RingLayout::kAvailFlags, 0);
  }
  FullFence();
  return last_used_ != LoadAcquire(used() + RingLayout::kUsedIdx);
}

void DriverQueue::DisableInterrupts() {
  if (!features_.event_idx) StoreRelaxed(avail() + RingLayout::kAvailFlags, kAvailNoInterrupt);
}

}  // namespace perfkit::virtio
