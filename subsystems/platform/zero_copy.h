// perfkit's zero-copy message format: fields are written in place into a
// caller's buffer and read back through fixed offsets, with no parse step.
// Validate() checks a buffer from elsewhere once (sizes, ranges, alignment,
// no overflow); after that every accessor is a plain load. Little-endian
// hosts only (x86-64, aarch64), which is what perfkit runs on.
//
// Layout: a 56-byte header (magic, total size, id, timestamp, scale, flags,
// the name's and the values' offset and length), then the name's bytes,
// then the float values, from a 64-byte boundary (a reader accepts any
// 4-byte aligned offset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "subsystems/base/status.h"

namespace perfkit::platform {

struct MessageHeader {
  uint32_t magic;
  uint32_t total_size;
  uint64_t id;
  int64_t timestamp_ns;
  double scale;
  uint32_t flags;
  uint32_t name_offset;
  uint32_t name_length;
  uint32_t values_offset;
  uint32_t values_count;
  uint32_t reserved;
};
static_assert(sizeof(MessageHeader) == 56);

inline constexpr uint32_t kMessageMagic = 0x315a4b50;  // "PKZ1"

// Writes a message in place: the caller fills the values through values().
class MessageBuilder {
 public:
  // The values start on a cache line: bulk writes and reads of them then
  // never straddle lines.
  static constexpr size_t kValuesAlign = 64;
  static constexpr size_t ValuesOffset(size_t name_length) {
    return (sizeof(MessageHeader) + name_length + kValuesAlign - 1) / kValuesAlign * kValuesAlign;
  }
  static constexpr size_t Bytes(size_t name_length, size_t values) {
    return ValuesOffset(name_length) + values * sizeof(float);
  }
  // Fails when `capacity` is too small or the buffer is not 8-byte
  // aligned. Inline, so a constant name is copied without a call.
  static Result<MessageBuilder> Start(uint8_t* buffer, size_t capacity, std::string_view name,
                                      size_t values) {
    const size_t bytes = Bytes(name.size(), values);
    if (bytes > capacity || bytes > UINT32_MAX ||
        reinterpret_cast<uintptr_t>(buffer) % alignof(MessageHeader) != 0) {
      return Refuse(bytes, capacity);
    }
    // Field by field into the buffer: a header built on the stack and
    // copied over was read back wider than it was written, and store
    // forwarding failed (a third of the serialize time, profiled).
    auto* h = reinterpret_cast<MessageHeader*>(buffer);
    h->magic = kMessageMagic;
    h->total_size = static_cast<uint32_t>(bytes);
    h->id = 0;
    h->timestamp_ns = 0;
    h->scale = 0;
    h->flags = 0;
    h->name_offset = sizeof(MessageHeader);
    h->name_length = static_cast<uint32_t>(name.size());
    h->values_offset = static_cast<uint32_t>(ValuesOffset(name.size()));
    h->values_count = static_cast<uint32_t>(values);
    h->reserved = 0;
    std::memcpy(buffer + sizeof(MessageHeader), name.data(), name.size());
    // The padding too: a message sent on carries no stale bytes of the buffer.
    const size_t name_end = sizeof(MessageHeader) + name.size();
    std::memset(buffer + name_end, 0, ValuesOffset(name.size()) - name_end);
    return MessageBuilder(buffer);
  }
  void set_id(uint64_t v) { header()->id = v; }
  void set_timestamp_ns(int64_t v) { header()->timestamp_ns = v; }
  void set_scale(double v) { header()->scale = v; }
  void set_flags(uint32_t v) { header()->flags = v; }
  float* values() { return reinterpret_cast<float*>(buffer_ + header()->values_offset); }
  // All the values at once, from `from` (as many as Start was told). Out of
  // line on purpose: a copy of a size the compiler knows is inlined as
  // `rep movsq`, slower than the C library's vector copy.
  void CopyValues(const float* from);
  size_t size() const { return header()->total_size; }

 private:
  explicit MessageBuilder(uint8_t* buffer) : buffer_(buffer) {}
  static Status Refuse(size_t bytes, size_t capacity);
  MessageHeader* header() const { return reinterpret_cast<MessageHeader*>(buffer_); }
  uint8_t* buffer_;
};

class MessageView {
 public:
  // Everything an accessor will touch lies inside `size` bytes.
  static Result<MessageView> Validate(const uint8_t* data, size_t size);
  // For a buffer this process wrote or validated before.
  static MessageView Unchecked(const uint8_t* data) { return MessageView(data); }

  uint64_t id() const { return header()->id; }
  int64_t timestamp_ns() const { return header()->timestamp_ns; }
  double scale() const { return header()->scale; }
  uint32_t flags() const { return header()->flags; }
  std::string_view name() const {
    return {reinterpret_cast<const char*>(data_ + header()->name_offset), header()->name_length};
  }
  std::span<const float> values() const {
    return {reinterpret_cast<const float*>(data_ + header()->values_offset),
            header()->values_count};
  }
  size_t size() const { return header()->total_size; }

 private:
  explicit MessageView(const uint8_t* data) : data_(data) {}
  const MessageHeader* header() const { return reinterpret_cast<const MessageHeader*>(data_); }
  const uint8_t* data_;
};

}  // namespace perfkit::platform
