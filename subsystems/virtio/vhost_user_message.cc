#include "subsystems/virtio/vhost_user_message.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "subsystems/base/fd_io.h"

namespace perfkit::virtio {

VhostUserMessage::~VhostUserMessage() {
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
}

int VhostUserMessage::TakeFd(size_t i) {
  if (i >= fds.size()) return -1;
  const int fd = fds[i];
  fds[i] = -1;
  return fd;
}

Status ReceiveMessage(int socket, VhostUserMessage* message) {
  uint32_t header[3];
  iovec iov{header, sizeof header};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  } while (n < 0 && errno == EINTR);
  if (n == 0 || (n < 0 && errno == ECONNRESET)) return Status::Error("disconnected");
  if (n < 0) return Status::Error(std::string("vhost-user socket: ") + std::strerror(errno));
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      message->fds.push_back(fd);
    }
  }
  if (n != sizeof header) return Status::Error("vhost-user: a truncated message header");
  if (msg.msg_flags & MSG_CTRUNC) return Status::Error("vhost-user: more than 8 descriptors");
  message->request = header[0];
  message->flags = header[1];
  if (header[2] > kMaxPayload) {
    return Status::Error("vhost-user: a payload of " + std::to_string(header[2]) + " bytes");
  }
  message->payload.resize(header[2]);
  if (header[2] > 0 && !ReadFull(socket, message->payload.data(), header[2])) {
    return Status::Error("disconnected");
  }
  return OkStatus();
}

Status SendReply(int socket, uint32_t request, const void* payload, uint32_t size) {
  const uint32_t header[3] = {request, kFlagVersion | kFlagReply, size};
  std::string bytes(reinterpret_cast<const char*>(header), sizeof header);
  bytes.append(static_cast<const char*>(payload), size);
  // MSG_NOSIGNAL: a front end that died is an error here, not a SIGPIPE.
  for (size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = send(socket, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Error(std::string("vhost-user reply: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  return OkStatus();
}

}  // namespace perfkit::virtio
