#include "subsystems/virtio/vhost_user_net.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "subsystems/virtio/split_ring.h"
#include "subsystems/virtio/vhost_user_message.h"

namespace perfkit::virtio {
namespace {

// A locally administered MAC the reflector answers ARP with: any address
// the guest asks for is "at" this one.
constexpr uint8_t kReflectorMac[6] = {0x02, 0x70, 0x6b, 0x00, 0x00, 0x01};

// Frames a TAP queue hands over in one readiness event before the other
// queues and the socket get their turn.
constexpr int kTapBurst = 64;

class NetDevice final : public VhostUserDevice {
 public:
  NetDevice(const VhostUserNetOptions& options, const std::vector<int>& taps, NetStats* stats)
      : options_(options), taps_(taps), stats_(stats) {}

  uint64_t Features() const override {
    // MAC, link status and the control queue belong to QEMU's device model;
    // the rings' features, the header layout and whether there may be
    // several queue pairs (QEMU masks MQ with the back end's) to us.
    uint64_t f = Bit(kFeatureVersion1) | Bit(kNetFeatureMrgRxbuf);
    if (options_.queue_pairs > 1) f |= Bit(kNetFeatureMq);
    if (options_.event_idx) f |= Bit(kFeatureEventIdx);
    if (options_.indirect) f |= Bit(kFeatureIndirectDesc);
    return f;
  }
  uint16_t MaxQueues() const override { return static_cast<uint16_t>(2 * options_.queue_pairs); }
  // QEMU keeps a network card's configuration space itself.
  uint64_t ProtocolFeatures() const override { return Bit(kProtocolMq); }
  std::vector<uint8_t> Config(size_t size) const override {
    return NetConfig(kReflectorMac, options_.queue_pairs, size);
  }
  void Negotiated(uint64_t features) override {
    merge_ = (features & Bit(kNetFeatureMrgRxbuf)) != 0;
    // Without either, headers are the legacy 10 bytes, which nothing here
    // reads; QEMU's virtio-net-pci always acks VERSION_1.
    legacy_ = (features & (Bit(kFeatureVersion1) | Bit(kNetFeatureMrgRxbuf))) == 0;
  }
  std::vector<int> Watched() const override { return taps_; }

  void Serve(size_t index, Rings& rings) override {
    if (legacy_ && rings.Queue(index) != nullptr) {
      rings.Break(index, "a legacy driver (10-byte headers, no VERSION_1) is not served");
      return;
    }
    if (index % 2 == 1) Transmit(index, rings);
    // A receive ring that got buffers: nothing waits for them but the TAP's
    // next frames, which a readable TAP brings.
  }

  bool OnReadable(int fd, Rings& rings) override {
    size_t pair = 0;
    while (pair < taps_.size() && taps_[pair] != fd) ++pair;
    if (pair == taps_.size()) return false;
    DeviceQueue* rx = rings.Queue(2 * pair);
    bool delivered = false, alive = true;
    for (int i = 0; i < kTapBurst; ++i) {
      const ssize_t n = read(fd, buffer_.data(), buffer_.size());
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (n <= 0) {
        // The TAP went away (deleted, or its queue detached): say so once
        // and stop watching it rather than spin on its error.
        rings.Note("TAP queue " + std::to_string(pair) + ": " +
                   (n == 0 ? std::string("closed") : std::string(std::strerror(errno))) +
                   "; no longer read");
        alive = false;
        break;
      }
      if (rx == nullptr || !Deliver(*rx, 2 * pair, rings, buffer_.data(), static_cast<size_t>(n))) {
        ++stats_->rx_dropped;
        continue;
      }
      delivered = true;
    }
    if (delivered) {
      rx->Publish();
      rings.Notify(2 * pair);
    }
    return alive;
  }

 private:
  bool Deliver(DeviceQueue& rx, size_t index, Rings& rings, const uint8_t* frame, size_t size) {
    uint64_t malformed = 0;
    const bool ok = DeliverFrame(rx, frame, size, merge_, &malformed, &stats_->rx_buffers);
    for (uint64_t i = 0; i < malformed; ++i) {
      rings.Malformed(index, "a receive chain without room for a frame");
    }
    if (ok) {
      ++stats_->rx_frames;
      stats_->rx_bytes += size;
    }
    return ok;
  }

  void Transmit(size_t index, Rings& rings) {
    DeviceQueue* tx = rings.Queue(index);
    if (tx == nullptr) return;
    const size_t pair = index / 2;
    DeviceQueue* rx = options_.reflect ? rings.Queue(index - 1) : nullptr;
    Chain chain;
    std::string error;
    for (;;) {
      tx->DisableKicks();
      bool sent = false, received = false;
      while (tx->Pop(&chain)) {
        sent = true;
        if (!chain.head_valid) {
          rings.Malformed(index, chain.error);
          continue;
        }
        if (!rings.Backed(chain)) {
          rings.Break(index, "the front end shrank the guest's memory under it");
          return;
        }
        std::vector<uint8_t> frame = ReadTxFrame(chain, &error);
        tx->Push(chain.head, 0);
        if (frame.empty()) {
          rings.Malformed(index, error);
          continue;
        }
        ++stats_->tx_frames;
        stats_->tx_bytes += frame.size();
        if (options_.reflect) {
          if (!Reflect(&frame, kReflectorMac)) continue;
          if (rx == nullptr || !Deliver(*rx, index - 1, rings, frame.data(), frame.size())) {
            ++stats_->rx_dropped;
            continue;
          }
          received = true;
        } else if (pair < taps_.size()) {
          // A full TAP queue drops, as a NIC would; the stack retransmits.
          (void)!write(taps_[pair], frame.data(), frame.size());
        }
      }
      if (sent) {
        tx->Publish();
        rings.Notify(index);
      }
      if (received) {
        rx->Publish();
        rings.Notify(index - 1);
      }
      if (!tx->broken().empty()) return;  // the session breaks the ring
      tx->EnableKicks();
      if (!tx->HasAvailable()) return;
    }
  }

  const VhostUserNetOptions& options_;
  const std::vector<int>& taps_;
  NetStats* stats_;
  bool merge_ = false;
  bool legacy_ = false;
  std::vector<uint8_t> buffer_ = std::vector<uint8_t>(kMaxFrame);
};

}  // namespace

Result<std::vector<int>> OpenTapQueues(const std::string& name, uint16_t queues) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return Status::InvalidArgument("a TAP name of 1 to " + std::to_string(IFNAMSIZ - 1) +
                                   " characters is needed");
  }
  std::vector<int> fds;
  for (uint16_t q = 0; q < queues; ++q) {
    const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      for (const int f : fds) close(f);
      return Status::Error(std::string("cannot open /dev/net/tun: ") + std::strerror(errno));
    }
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name.data(), name.size());
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (queues > 1) ifr.ifr_flags |= IFF_MULTI_QUEUE;
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
      const std::string why = std::strerror(errno);
      close(fd);
      for (const int f : fds) close(f);
      return Status::Error(
          "cannot attach to TAP " + name + ": " + why +
          (queues > 1 ? " (a TAP made without multi_queue cannot take several)" : ""));
    }
    fds.push_back(fd);
  }
  return fds;
}

Result<VhostUserNetServer> VhostUserNetServer::Listen(const VhostUserNetOptions& options) {
  if (options.queue_pairs == 0 || options.queue_pairs > 8) {
    return Status::InvalidArgument("queue pairs must be 1 to 8");
  }
  if (options.reflect == !options.tap.empty()) {
    return Status::InvalidArgument("give one of --reflect and --tap NAME");
  }
  std::vector<int> taps;
  if (!options.reflect) {
    auto opened = OpenTapQueues(options.tap, options.queue_pairs);
    if (!opened.ok()) return opened.status();
    taps = std::move(*opened);
  }
  auto server = VhostUserServer::Listen({options.socket_path, options.keep_listening});
  if (!server.ok()) {
    for (const int fd : taps) close(fd);
    return server.status();
  }
  return VhostUserNetServer(options, std::move(*server), std::move(taps));
}

VhostUserNetServer::VhostUserNetServer(VhostUserNetServer&& other) noexcept
    : options_(std::move(other.options_)),
      server_(std::move(other.server_)),
      taps_(std::move(other.taps_)) {
  other.taps_.clear();
}

VhostUserNetServer::~VhostUserNetServer() {
  for (const int fd : taps_) close(fd);
}

Result<VhostUserNetReport> VhostUserNetServer::Serve(int stop_fd) {
  VhostUserNetReport report;
  NetDevice device(options_, taps_, &report.net);
  auto served = server_.Serve(device, stop_fd);
  if (!served.ok()) return served.status();
  static_cast<VhostUserReport&>(report) = std::move(*served);
  return report;
}

}  // namespace perfkit::virtio
