// vhost-user messages (QEMU's docs/interop/vhost-user.rst): a 12-byte
// header (request, flags, payload size), the payload, and file descriptors
// beside it as SCM_RIGHTS. Only what a block back end needs is named here.
#pragma once

#include <cstdint>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::virtio {

enum VhostUserRequest : uint32_t {
  kGetFeatures = 1,
  kSetFeatures = 2,
  kSetOwner = 3,
  kResetOwner = 4,
  kSetMemTable = 5,
  kSetLogBase = 6,
  kSetLogFd = 7,
  kSetVringNum = 8,
  kSetVringAddr = 9,
  kSetVringBase = 10,
  kGetVringBase = 11,
  kSetVringKick = 12,
  kSetVringCall = 13,
  kSetVringErr = 14,
  kGetProtocolFeatures = 15,
  kSetProtocolFeatures = 16,
  kGetQueueNum = 17,
  kSetVringEnable = 18,
  kGetConfig = 24,
  kSetConfig = 25,
};

inline constexpr int kProtocolFeaturesBit = 30;  // VHOST_USER_F_PROTOCOL_FEATURES
inline constexpr int kProtocolMq = 0;
inline constexpr int kProtocolReplyAck = 3;
inline constexpr int kProtocolConfig = 9;

inline constexpr uint32_t kFlagVersion = 0x1;
inline constexpr uint32_t kFlagReply = 0x4;
inline constexpr uint32_t kFlagNeedReply = 0x8;
inline constexpr uint64_t kVringNoFd = 0x100;  // in SET_VRING_KICK/CALL/ERR's u64
inline constexpr uint64_t kVringIndexMask = 0xff;
inline constexpr uint32_t kMaxPayload = 4096;
inline constexpr int kMaxFds = 8;

struct VhostUserMessage {
  uint32_t request = 0;
  uint32_t flags = 0;
  std::vector<uint8_t> payload;
  std::vector<int> fds;  // owned: whoever takes one sets it to -1 here

  VhostUserMessage() = default;
  VhostUserMessage(const VhostUserMessage&) = delete;
  VhostUserMessage& operator=(const VhostUserMessage&) = delete;
  ~VhostUserMessage();
  // The payload's first bytes as a T; false when the payload is shorter.
  template <typename T>
  bool Read(T* out, size_t at = 0) const;
  int TakeFd(size_t i);
};

// One message, or the error "disconnected" when the front end has gone, or
// "stopped" when a signal interrupted the wait and made `stop_fd` readable.
Status ReceiveMessage(int socket, VhostUserMessage* message, int stop_fd = -1);
Status SendReply(int socket, uint32_t request, const void* payload, uint32_t size);

}  // namespace perfkit::virtio

#include <cstring>

template <typename T>
bool perfkit::virtio::VhostUserMessage::Read(T* out, size_t at) const {
  if (at > payload.size() || sizeof(T) > payload.size() - at) return false;
  std::memcpy(out, payload.data() + at, sizeof(T));
  return true;
}
