#include "qemu/net_lab.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace perfkit::qemu {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

Status SetUp(int ctl, const std::string& name) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(ctl, SIOCGIFFLAGS, &ifr) != 0) return Status::Error(Errno(name + ": SIOCGIFFLAGS"));
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (ioctl(ctl, SIOCSIFFLAGS, &ifr) != 0) return Status::Error(Errno(name + ": SIOCSIFFLAGS"));
  return OkStatus();
}

Status SetAddress(int ctl, const std::string& name, unsigned long request, in_addr_t address) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = address;
  std::memcpy(&ifr.ifr_addr, &in, sizeof in);
  if (ioctl(ctl, request, &ifr) != 0) return Status::Error(Errno(name + ": setting its address"));
  return OkStatus();
}

// A persistent TAP: it stays (in this namespace) after we close it, for
// QEMU or the back end to attach to with the same flags.
Status MakeTap(const NetLabOptions& o) {
  const int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return Status::Error(Errno("/dev/net/tun"));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, o.tap.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (o.multi_queue ? IFF_MULTI_QUEUE : 0);
  Status s = OkStatus();
  if (ioctl(fd, TUNSETIFF, &ifr) != 0 || ioctl(fd, TUNSETPERSIST, 1) != 0) {
    s = Status::Error(Errno("TAP " + o.tap));
  }
  close(fd);
  return s;
}

int Listen(int type, int port) {
  const int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1, big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_port = htons(static_cast<uint16_t>(port));
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 ||
      (type == SOCK_STREAM && listen(fd, kMaxFlows) != 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

// Every datagram waiting on `fd`, sent back to where it came from.
void EchoDatagrams(int fd) {
  constexpr int kBatch = 32;
  static std::array<std::array<uint8_t, 2048>, kBatch> buffers;
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_in, kBatch> from{};
  for (;;) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {buffers[i].data(), buffers[i].size()};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) iov[i].iov_len = msgs[i].msg_len;
    (void)sendmmsg(fd, msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
  }
}

// The stream is little-endian words, word k being (k + 1) * kStreamStep.
constexpr uint64_t kStreamStep = 0x9E3779B97F4A7C15ull;

// The stream's bytes from `offset` into `chunk`, a word at a time.
void FillStream(std::vector<uint8_t>& chunk, uint64_t offset) {
  size_t i = 0;
  for (; i < chunk.size() && ((offset + i) & 7) != 0; ++i) chunk[i] = StreamByte(offset + i);
  uint64_t word = (((offset + i) >> 3) + 1) * kStreamStep;
  for (; i + 8 <= chunk.size(); i += 8, word += kStreamStep) std::memcpy(&chunk[i], &word, 8);
  for (; i < chunk.size(); ++i) chunk[i] = StreamByte(offset + i);
}

}  // namespace

uint8_t StreamByte(uint64_t offset) {
  const uint64_t word = ((offset >> 3) + 1) * kStreamStep;
  return static_cast<uint8_t>(word >> ((offset & 7) * 8));
}

// A TCP peer: an echo (bytes read and not yet written back) or a stream
// source (how far it got).
struct NetLab::Connection {
  int fd = -1;
  bool stream = false;
  std::vector<uint8_t> pending;
  size_t pending_at = 0;
  uint64_t offset = 0;
};

// Run by a thread that has entered the new namespace: loopback, the TAP
// with its address, the endpoints' sockets.
Status NetLab::Furnish() {
  netns_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (netns_fd_ < 0) return Status::Error(Errno("the new namespace"));
  in_addr address{};
  if (inet_pton(AF_INET, options_.address.c_str(), &address) != 1) {
    return Status::InvalidArgument("not an IPv4 address: " + options_.address);
  }
  const int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ctl < 0) return Status::Error(Errno("socket"));
  Status s = SetUp(ctl, "lo");
  if (s.ok()) s = MakeTap(options_);
  if (s.ok()) s = SetAddress(ctl, options_.tap, SIOCSIFADDR, address.s_addr);
  if (s.ok()) s = SetAddress(ctl, options_.tap, SIOCSIFNETMASK, htonl(0xffffff00));
  if (s.ok()) s = SetUp(ctl, options_.tap);
  close(ctl);
  if (!s.ok()) return s;
  for (int i = 0; i < kMaxFlows; ++i) {
    udp_.push_back(Listen(SOCK_DGRAM, kUdpEchoPort + i));
    if (udp_.back() < 0) return Status::Error(Errno("the UDP echo endpoint"));
  }
  echo_listener_ = Listen(SOCK_STREAM, kTcpEchoPort);
  stream_listener_ = Listen(SOCK_STREAM, kTcpStreamPort);
  if (echo_listener_ < 0 || stream_listener_ < 0) return Status::Error(Errno("the TCP endpoints"));
  return OkStatus();
}

Result<std::unique_ptr<NetLab>> NetLab::Create(const NetLabOptions& options) {
  std::unique_ptr<NetLab> lab(new NetLab);
  lab->options_ = options;
  Status status = OkStatus();
  // A namespace is a thread's to enter: a short-lived thread makes it and
  // everything in it; its sockets and the namespace's fd outlive it.
  std::thread maker([&] {
    status = unshare(CLONE_NEWNET) == 0
                 ? lab->Furnish()
                 : Status::Error(Errno("a network namespace of its own needs root (unshare)"));
  });
  maker.join();
  if (!status.ok()) return status;
  lab->stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (lab->stop_fd_ < 0) return Status::Error(Errno("eventfd"));
  lab->server_ = std::thread([raw = lab.get()] { raw->Serve(); });
  return lab;
}

NetLab::~NetLab() {
  if (server_.joinable()) {
    const uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
    server_.join();
  }
  for (int& fd : udp_) CloseFd(fd);
  for (int* fd : {&echo_listener_, &stream_listener_, &stop_fd_, &netns_fd_}) CloseFd(*fd);
}

// One thread for every endpoint: the guest's flows are a handful, and its
// CPU, not this loop, bounds them.
void NetLab::Serve() {
  std::vector<Connection> connections;
  std::vector<uint8_t> chunk(64 * 1024);
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({stop_fd_, POLLIN, 0});
    fds.push_back({echo_listener_, POLLIN, 0});
    fds.push_back({stream_listener_, POLLIN, 0});
    for (int fd : udp_) fds.push_back({fd, POLLIN, 0});
    for (const Connection& c : connections) {
      const bool writing = c.stream || c.pending_at < c.pending.size();
      fds.push_back({c.fd, static_cast<short>(writing ? POLLOUT : POLLIN), 0});
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) break;
    for (size_t i = 0; i < udp_.size(); ++i) {
      if ((fds[3 + i].revents & POLLIN) != 0) EchoDatagrams(udp_[i]);
    }
    const size_t first = 3 + udp_.size();
    for (size_t i = 0; first + i < fds.size(); ++i) {
      Connection& c = connections[i];
      const short revents = fds[first + i].revents;
      if (revents == 0) continue;
      bool closed = (revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
      if (!closed && c.stream) {
        FillStream(chunk, c.offset);
        const ssize_t n = send(c.fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) c.offset += static_cast<uint64_t>(n);
        closed = n < 0 && errno != EAGAIN && errno != EINTR;
      } else if (!closed && c.pending_at < c.pending.size()) {
        const ssize_t n = send(c.fd, c.pending.data() + c.pending_at,
                               c.pending.size() - c.pending_at, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) c.pending_at += static_cast<size_t>(n);
        closed = n < 0 && errno != EAGAIN && errno != EINTR;
      } else if (!closed) {
        c.pending.resize(chunk.size());
        const ssize_t n = recv(c.fd, c.pending.data(), c.pending.size(), MSG_DONTWAIT);
        c.pending.resize(n > 0 ? static_cast<size_t>(n) : 0);
        c.pending_at = 0;
        closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
        if (n > 0) {
          const ssize_t w =
              send(c.fd, c.pending.data(), c.pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
          if (w > 0) c.pending_at = static_cast<size_t>(w);
        }
      }
      if (closed) CloseFd(c.fd);
    }
    std::erase_if(connections, [](const Connection& c) { return c.fd < 0; });
    for (size_t i = 1; i <= 2; ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      const int fd = accept4(fds[i].fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) continue;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      connections.push_back({fd, i == 2, {}, 0, 0});
    }
  }
  for (Connection& c : connections) CloseFd(c.fd);
}

}  // namespace perfkit::qemu
