#include "subsystems/virtio/vhost_user_message.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

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

namespace {

// Whether SIGTERM (or SIGINT) asked the server to stop: its handler makes
// `stop_fd` readable, and a read it interrupted returns EINTR.
bool Stopped(int stop_fd) {
  if (stop_fd < 0) return false;
  pollfd p{stop_fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

// The rest of a message; a front end that sends part of one and stalls
// runs into the socket's receive timeout instead of holding the server.
Status ReceiveRest(int socket, uint8_t* data, size_t size, int stop_fd) {
  for (size_t got = 0; got < size;) {
    const ssize_t n = recv(socket, data + got, size - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      if (Stopped(stop_fd)) return Status::Error("stopped");
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Status::Error("vhost-user: the front end stopped in the middle of a message");
    } else {
      return Status::Error("disconnected");
    }
  }
  return OkStatus();
}

}  // namespace

Status ReceiveMessage(int socket, VhostUserMessage* message, int stop_fd) {
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
    if (n < 0 && errno == EINTR && Stopped(stop_fd)) return Status::Error("stopped");
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
  return ReceiveRest(socket, message->payload.data(), header[2], stop_fd);
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
