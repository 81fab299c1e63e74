#include "subsystems/virtio/device_queue.h"

#include <cstdio>
#include <cstring>

namespace perfkit::virtio {
namespace {

std::string Hex(uint64_t v) {
  char out[24];
  std::snprintf(out, sizeof out, "0x%llx", static_cast<unsigned long long>(v));
  return out;
}

}  // namespace

DeviceQueue::DeviceQueue(const QueueAddresses& rings, const GuestMemory* memory,
                         QueueFeatures features, uint16_t last_avail)
    : rings_(rings), memory_(memory), features_(features), last_avail_(last_avail) {
  used_idx_ = LoadRelaxed(rings_.used + RingLayout::kUsedIdx);
}

bool DeviceQueue::HasAvailable() const {
  return broken_.empty() && LoadAcquire(rings_.avail + RingLayout::kAvailIdx) != last_avail_;
}

bool DeviceQueue::Pop(Chain* chain) {
  if (!broken_.empty()) return false;
  const uint16_t avail_idx = LoadAcquire(rings_.avail + RingLayout::kAvailIdx);
  if (avail_idx == last_avail_) return false;
  const uint16_t pending = static_cast<uint16_t>(avail_idx - last_avail_);
  if (pending > rings_.size) {
    broken_ = "the available index moved " + std::to_string(pending) +
              " entries ahead of a queue of " + std::to_string(rings_.size);
    return false;
  }
  const size_t slot = RingLayout::kAvailRing + size_t{2} * (last_avail_ % rings_.size);
  chain->head = LoadRelaxed(rings_.avail + slot);
  ++last_avail_;
  chain->segments.clear();
  chain->error.clear();
  chain->indirect = false;
  chain->head_valid = chain->head < rings_.size;
  if (!chain->head_valid) {
    chain->error = "head descriptor " + std::to_string(chain->head) + " is outside a table of " +
                   std::to_string(rings_.size);
    return true;
  }
  Walk(chain);
  return true;
}

void DeviceQueue::Walk(Chain* chain) const {
  const uint8_t* table = rings_.desc;
  uint32_t table_size = rings_.size;
  uint32_t i = chain->head;
  uint32_t count = 0;
  bool seen_writable = false;
  const auto fail = [&](std::string why) {
    chain->error = "descriptor " + std::to_string(i) + (chain->indirect ? " (indirect)" : "") +
                   ": " + std::move(why);
    chain->segments.clear();
  };
  for (;;) {
    Desc d;
    std::memcpy(&d, table + size_t{16} * i, sizeof d);  // once: the guest may change it
    if (d.flags & kDescIndirect) {
      if (!features_.indirect) return fail("indirect, but the feature was not negotiated");
      if (chain->indirect) return fail("an indirect table inside an indirect table");
      if (count != 0) return fail("indirect after other descriptors in the chain");
      if (d.flags & kDescNext) return fail("indirect together with NEXT");
      if (d.len == 0 || d.len % sizeof(Desc) != 0 || d.len / sizeof(Desc) > kMaxIndirectEntries) {
        return fail("an indirect table of " + std::to_string(d.len) + " bytes");
      }
      table = memory_->Translate(d.addr, d.len);
      if (table == nullptr)
        return fail("indirect table at " + Hex(d.addr) + " outside guest memory");
      table_size = d.len / sizeof(Desc);
      chain->indirect = true;
      i = 0;
      continue;
    }
    if (++count > table_size) return fail("a chain longer than its table: a loop");
    const bool writable = d.flags & kDescWrite;
    if (!writable && seen_writable) return fail("readable after writable");
    seen_writable |= writable;
    if (d.len > 0) {
      uint8_t* data = memory_->Translate(d.addr, d.len);
      if (data == nullptr) {
        return fail(std::to_string(d.len) + " bytes at " + Hex(d.addr) + " outside guest memory");
      }
      chain->segments.push_back({data, d.len, writable});
    }
    if (!(d.flags & kDescNext)) return;
    if (d.next >= table_size) return fail("next " + std::to_string(d.next) + " outside the table");
    i = d.next;
  }
}

void DeviceQueue::Push(uint16_t head, uint32_t written) {
  const UsedElem e{head, written};
  std::memcpy(rings_.used + RingLayout::kUsedRing + sizeof(UsedElem) * (used_idx_ % rings_.size),
              &e, sizeof e);
  ++used_idx_;
}

void DeviceQueue::Publish() { StoreRelease(rings_.used + RingLayout::kUsedIdx, used_idx_); }

bool DeviceQueue::ShouldNotify() {
  FullFence();
  bool need;
  if (features_.event_idx) {
    const uint16_t event = LoadRelaxed(rings_.avail + RingLayout::UsedEvent(rings_.size));
    need = !signalled_valid_ || NeedEvent(event, used_idx_, signalled_used_);
    signalled_used_ = used_idx_;
    signalled_valid_ = true;
  } else {
    need = !(LoadRelaxed(rings_.avail + RingLayout::kAvailFlags) & kAvailNoInterrupt);
  }
  notifications_ += need;
  return need;
}

void DeviceQueue::DisableKicks() {
  if (!features_.event_idx) StoreRelaxed(rings_.used + RingLayout::kUsedFlags, kUsedNoNotify);
}

uint16_t DeviceQueue::AvailableIndex() const {
  return LoadAcquire(rings_.avail + RingLayout::kAvailIdx);
}

uint16_t DeviceQueue::EnableKicksPast(uint16_t seen) {
  if (features_.event_idx) {
    StoreRelaxed(rings_.used + RingLayout::AvailEvent(rings_.size), seen);
  } else {
    StoreRelaxed(rings_.used + RingLayout::kUsedFlags, 0);
  }
  FullFence();
  return AvailableIndex();
}

void DeviceQueue::EnableKicks() {
  if (features_.event_idx) {
    StoreRelaxed(rings_.used + RingLayout::AvailEvent(rings_.size), last_avail_);
  } else {
    StoreRelaxed(rings_.used + RingLayout::kUsedFlags, 0);
  }
  FullFence();
}

}  // namespace perfkit::virtio
