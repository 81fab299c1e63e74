#include "subsystems/platform/zero_copy.h"

#include <cstring>
#include <string>

namespace perfkit::platform {

Status MessageBuilder::Refuse(size_t bytes, size_t capacity) {
  if (bytes > capacity || bytes > UINT32_MAX) {
    return Status::InvalidArgument("a message of " + std::to_string(bytes) +
                                   " bytes does not fit in " + std::to_string(capacity));
  }
  return Status::InvalidArgument("the buffer is not 8-byte aligned");
}

void MessageBuilder::CopyValues(const float* from) {
  std::memcpy(values(), from, size_t{header()->values_count} * sizeof(float));
}

Result<MessageView> MessageView::Validate(const uint8_t* data, size_t size) {
  if (size < sizeof(MessageHeader)) return Status::Error("truncated: no room for the header");
  if (reinterpret_cast<uintptr_t>(data) % alignof(MessageHeader) != 0) {
    return Status::Error("the buffer is not 8-byte aligned");
  }
  MessageHeader h;
  std::memcpy(&h, data, sizeof h);
  if (h.magic != kMessageMagic) return Status::Error("not a perfkit message (bad magic)");
  if (h.total_size < sizeof h || h.total_size > size) {
    return Status::Error("truncated: it says " + std::to_string(h.total_size) + " bytes, " +
                         std::to_string(size) + " are there");
  }
  // 64-bit sums: 32-bit fields cannot overflow them.
  if (h.name_offset < sizeof h || uint64_t{h.name_offset} + h.name_length > h.total_size) {
    return Status::Error("the name lies outside the message");
  }
  if (h.values_offset < sizeof h || h.values_offset % alignof(float) != 0 ||
      uint64_t{h.values_offset} + uint64_t{h.values_count} * sizeof(float) > h.total_size) {
    return Status::Error("the values lie outside the message or are misaligned");
  }
  return MessageView(data);
}

}  // namespace perfkit::platform
