// The split virtqueue as the VIRTIO 1.2 specification lays it out (2.7):
// a descriptor table of 16-byte descriptors, the available ring the driver
// writes, and the used ring the device writes, each index a free-running
// 16-bit counter. Little-endian, as every modern (VERSION_1) device is; the
// hosts perfkit runs on are little-endian too, so fields are read as is.
#pragma once

#include <cstddef>
#include <cstdint>

namespace perfkit::virtio {

// Feature bits this code understands.
inline constexpr int kFeatureIndirectDesc = 28;  // VIRTIO_F_INDIRECT_DESC
inline constexpr int kFeatureEventIdx = 29;      // VIRTIO_F_EVENT_IDX
inline constexpr int kFeatureVersion1 = 32;      // VIRTIO_F_VERSION_1

// A feature (or protocol feature) bit as the 64-bit words carry it.
inline constexpr uint64_t Bit(int n) { return uint64_t{1} << n; }

struct Desc {
  uint64_t addr;  // guest-physical
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(Desc) == 16);

inline constexpr uint16_t kDescNext = 1;
inline constexpr uint16_t kDescWrite = 2;
inline constexpr uint16_t kDescIndirect = 4;

inline constexpr uint16_t kAvailNoInterrupt = 1;  // avail->flags, without EVENT_IDX
inline constexpr uint16_t kUsedNoNotify = 1;      // used->flags, without EVENT_IDX

struct UsedElem {
  uint32_t id;
  uint32_t len;
};
static_assert(sizeof(UsedElem) == 8);

// Offsets and sizes of one ring of `size` entries (a power of two up to
// 32768). The event words sit after each ring: used_event after the
// available ring, avail_event after the used ring.
struct RingLayout {
  static constexpr size_t DescBytes(uint16_t size) { return size_t{16} * size; }
  static constexpr size_t AvailBytes(uint16_t size) { return 4 + size_t{2} * size + 2; }
  static constexpr size_t UsedBytes(uint16_t size) { return 4 + size_t{8} * size + 2; }
  static constexpr size_t kAvailFlags = 0, kAvailIdx = 2, kAvailRing = 4;
  static constexpr size_t UsedEvent(uint16_t size) { return 4 + size_t{2} * size; }
  static constexpr size_t kUsedFlags = 0, kUsedIdx = 2, kUsedRing = 4;
  static constexpr size_t AvailEvent(uint16_t size) { return 4 + size_t{8} * size; }
};

// Whether moving an index from `old_idx` to `new_idx` passes `event`: the
// other side asked to hear when the index goes past `event`. All in 16-bit
// arithmetic, so it holds across wrap-around (the specification's
// vring_need_event).
inline bool NeedEvent(uint16_t event, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

// Loads and stores of ring words shared with another party (a guest, or
// another thread): never torn, ordered where the protocol needs it.
inline uint16_t LoadAcquire(const uint8_t* p) {
  return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_ACQUIRE);
}
inline uint16_t LoadRelaxed(const uint8_t* p) {
  return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_RELAXED);
}
inline void StoreRelease(uint8_t* p, uint16_t v) {
  __atomic_store_n(reinterpret_cast<uint16_t*>(p), v, __ATOMIC_RELEASE);
}
inline void StoreRelaxed(uint8_t* p, uint16_t v) {
  __atomic_store_n(reinterpret_cast<uint16_t*>(p), v, __ATOMIC_RELAXED);
}
// Between publishing an index and reading the other side's event word
// (the specification's "suppression" race): a full barrier.
inline void FullFence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

}  // namespace perfkit::virtio
