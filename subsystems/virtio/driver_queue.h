// The driver's side of a split virtqueue, for the in-process suite and the
// tests: it owns the rings, makes chains of buffers available (direct, or
// one indirect table per request), decides when the device needs a kick,
// and takes used chains back. Guest addresses are this process's own
// addresses, so a GuestMemory over the same memory serves the device side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "subsystems/virtio/device_queue.h"

namespace perfkit::virtio {

struct Buffer {
  const void* data;
  uint32_t len;
  bool writable;  // the device writes it; these come after the readable ones
};

class DriverQueue {
 public:
  // `max_segments`: the longest chain Add will take (the indirect tables'
  // size). The rings are zeroed and page-aligned.
  DriverQueue(uint16_t size, QueueFeatures features, uint16_t max_segments = 16);
  DriverQueue(const DriverQueue&) = delete;
  DriverQueue& operator=(const DriverQueue&) = delete;

  // Where the device finds the rings.
  QueueAddresses addresses() const;
  // The memory the device must reach: the rings and indirect tables (add
  // the data buffers' memory beside it).
  MemoryRegion ring_region() const;

  // Makes one chain available (not yet visible to the device); false when
  // there are not enough free descriptors or n is 0 or too long.
  bool Add(const Buffer* buffers, size_t n);
  // Publishes what Add made available and says whether the device asked to
  // be kicked for it.
  bool PublishAndNeedKick();
  // One used chain (its head and the bytes the device wrote), or false.
  bool PopUsed(uint16_t* head, uint32_t* written);
  // Interrupt suppression: EnableInterrupts returns true when used chains
  // arrived meanwhile (poll again instead of waiting).
  bool EnableInterrupts();
  void DisableInterrupts();

  uint16_t free_descriptors() const { return free_count_; }
  uint16_t size() const { return size_; }
  uint64_t kicks() const { return kicks_; }

 private:
  uint8_t* desc() const { return memory_.get(); }
  uint8_t* avail() const { return memory_.get() + avail_offset_; }
  uint8_t* used() const { return memory_.get() + used_offset_; }
  Desc* indirect_table(uint16_t head) const;
  void WriteDesc(uint8_t* table, uint16_t i, const Desc& d);

  uint16_t size_;
  QueueFeatures features_;
  uint16_t max_segments_;
  size_t avail_offset_, used_offset_, indirect_offset_, bytes_;
  std::unique_ptr<uint8_t, void (*)(uint8_t*)> memory_;
  std::vector<uint16_t> next_free_;     // our own copy of the free list
  std::vector<uint16_t> chain_length_;  // descriptors each head holds
  uint16_t free_head_ = 0;
  uint16_t free_count_;
  uint16_t avail_idx_ = 0;
  uint16_t kicked_at_ = 0;
  uint16_t last_used_ = 0;
  uint64_t kicks_ = 0;
};

}  // namespace perfkit::virtio
