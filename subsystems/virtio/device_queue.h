// The device's side of a split virtqueue: take the chains the driver made
// available, walk them into segments of host memory, and hand them back as
// used, notifying the driver only when it asked to hear (EVENT_IDX) or has
// not asked for quiet (without it).
//
// Nothing the driver wrote is trusted: each descriptor is copied once and
// checked (in guest memory, in the table, readable before writable, no
// loops, at most one level of indirection), and a chain that fails comes
// back with an error for the device to complete as failed, so a guest can
// neither crash the device nor make it touch memory outside its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/virtio/guest_memory.h"
#include "subsystems/virtio/split_ring.h"

namespace perfkit::virtio {

struct Segment {
  uint8_t* data;
  uint32_t len;
  bool writable;
};

struct Chain {
  uint16_t head = 0;
  bool head_valid = true;  // false: the head index itself was out of range
  std::vector<Segment> segments;
  std::string error;  // non-empty: malformed, complete it as failed
  bool indirect = false;
};

struct QueueFeatures {
  bool event_idx = false;
  bool indirect = false;
};

// Where the three parts of a ring are in this process.
struct QueueAddresses {
  uint16_t size = 0;  // entries, a power of two
  uint8_t* desc = nullptr;
  uint8_t* avail = nullptr;
  uint8_t* used = nullptr;
};

// Longest indirect table accepted (QEMU's limit as well).
inline constexpr uint32_t kMaxIndirectEntries = 1024;

class DeviceQueue {
 public:
  DeviceQueue(const QueueAddresses& rings, const GuestMemory* memory, QueueFeatures features,
              uint16_t last_avail = 0);

  // The next available chain, or false when there is none. A ring whose
  // available index jumps by more than its size is broken: Pop returns false
  // from then on and broken() says why.
  bool Pop(Chain* chain);
  // Gives back the last `n` chains Pop returned and Push has not: the next
  // Pops return them again (a received frame that found too few buffers
  // waits for more instead of being cut).
  void Unpop(uint16_t n) { last_avail_ = static_cast<uint16_t>(last_avail_ - n); }
  bool HasAvailable() const;
  // Records a used element; Publish makes all recorded ones visible.
  void Push(uint16_t head, uint32_t written);
  void Publish();
  // After Publish: whether the driver wants an interrupt now. Counts them.
  bool ShouldNotify();

  // Kick suppression while the device is busy draining the ring. After
  // EnableKicks, check HasAvailable again: a chain made available just
  // before it would otherwise wait for a kick that never comes.
  void DisableKicks();
  void EnableKicks();
  // Kicks once the driver makes chains available past index `seen`: for a
  // device that leaves chains available because they were too few (a
  // received frame waiting for more buffers). Returns the available index
  // after: if it is not `seen`, chains came meanwhile and no kick may.
  uint16_t EnableKicksPast(uint16_t seen);
  uint16_t AvailableIndex() const;

  uint16_t last_avail() const { return last_avail_; }
  uint16_t size() const { return rings_.size; }
  const std::string& broken() const { return broken_; }
  uint64_t notifications() const { return notifications_; }

 private:
  void Walk(Chain* chain) const;
  QueueAddresses rings_;
  const GuestMemory* memory_;
  QueueFeatures features_;
  uint16_t last_avail_;
  uint16_t used_idx_ = 0;
  uint16_t signalled_used_ = 0;
  bool signalled_valid_ = false;
  uint64_t notifications_ = 0;
  std::string broken_;
};

}  // namespace perfkit::virtio
