#include "subsystems/virtio/vhost_user_net.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
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
  NetDevice(const VhostUserNetOptions& options, const std::vector<int>& taps)
      : options_(options), taps_(taps), pairs_(options.queue_pairs) {}

  // What every pair carried (once the server has stopped its threads).
  NetStats Stats() const {
    NetStats sum;
    for (const Pair& p : pairs_) {
      sum.tx_frames += p.stats.tx_frames;
      sum.tx_bytes += p.stats.tx_bytes;
      sum.rx_frames += p.stats.rx_frames;
      sum.rx_bytes += p.stats.rx_bytes;
      sum.rx_buffers += p.stats.rx_buffers;
      sum.rx_dropped += p.stats.rx_dropped;
    }
    return sum;
  }

  uint64_t Features() const override {
    // MAC, link status and the control queue belong to QEMU's device model;
    // the rings' features, the header layout and whether there may be
    // several queue pairs (QEMU masks MQ with the back end's) to us.
    uint64_t f = Bit(kFeatureVersion1) | Bit(kNetFeatureMrgRxbuf);
    if (options_.queue_pairs > 1) f |= Bit(kNetFeatureMq);
    if (!taps_.empty() && options_.offloads) f |= kOffloads;
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
    features_ = features;
    merge_ = (features & Bit(kNetFeatureMrgRxbuf)) != 0;
    // The TAP hands over only what the guest takes: partial checksums with
    // GUEST_CSUM, 64 KiB TCP frames with GUEST_TSO4/6 (the kernel wants
    // TUN_F_CSUM beside any TSO).
    unsigned long tap = 0;
    if ((features & Bit(kNetFeatureGuestCsum)) != 0) {
      tap |= TUN_F_CSUM;
      if ((features & Bit(kNetFeatureGuestTso4)) != 0) tap |= TUN_F_TSO4;
      if ((features & Bit(kNetFeatureGuestTso6)) != 0) tap |= TUN_F_TSO6;
    }
    if (!taps_.empty()) (void)ioctl(taps_[0], TUNSETOFFLOAD, tap);
    // Without either, headers are the legacy 10 bytes, which nothing here
    // reads; QEMU's virtio-net-pci always acks VERSION_1.
    legacy_ = (features & (Bit(kFeatureVersion1) | Bit(kNetFeatureMrgRxbuf))) == 0;
  }
  std::vector<int> Watched() const override { return taps_; }
  // A thread per queue pair (WorkersFor) for its TAP queue, receive and
  // transmit rings; with fewer threads, pair k goes to thread k % n.
  size_t Workers() const override { return WorkersFor(options_.threads, pairs_.size()); }
  size_t WorkerOf(size_t ring) const override { return ring / 2; }

  void Serve(size_t index, Rings& rings) override {
    if (legacy_ && rings.Queue(index) != nullptr) {
      rings.Break(index, "a legacy driver (10-byte headers, no VERSION_1) is not served");
      return;
    }
    if (index % 2 == 1) {
      Transmit(index, rings);
    } else if (index / 2 < taps_.size()) {
      Release(index / 2, rings);
    }
  }

  bool OnReadable(int fd, Rings& rings) override {
    size_t pair = 0;
    while (pair < taps_.size() && taps_[pair] != fd) ++pair;
    if (pair == taps_.size()) return false;
    DeviceQueue* rx = rings.Queue(2 * pair);
    Pair& p = pairs_[pair];
    if (!p.held.bytes.empty()) {
      // Woken by the TAP's news while a frame waits for buffers: the frame
      // goes first, but a TAP that went away is noted and dropped now.
      ifreq ifr{};
      if (ioctl(fd, TUNGETIFF, &ifr) == 0) return true;
      rings.Note("TAP queue " + std::to_string(pair) + ": " + std::strerror(errno) +
                 "; no longer read");
      return false;
    }
    bool delivered = false, alive = true;
    for (int i = 0; i < kTapBurst; ++i) {
      const ssize_t n = read(fd, p.buffer.data(), p.buffer.size());
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
      NetHeader header;
      std::memcpy(&header, p.buffer.data(), sizeof header);
      if (!TapFrameFits(static_cast<size_t>(n)) || rx == nullptr || !TakenByGuest(&header)) {
        ++p.stats.rx_dropped;
        continue;
      }
      if (!Deliver(*rx, 2 * pair, rings, header, p.buffer.data() + sizeof header,
                   static_cast<size_t>(n) - sizeof header)) {
        Hold(pair, static_cast<size_t>(n), rings);
        break;
      }
      delivered = true;
    }
    if (delivered) {
      rx->Publish();
      rings.Notify(2 * pair);
    }
    if (rx != nullptr && p.held.bytes.empty()) rx->DisableKicks();
    return alive;
  }

 private:
  // A frame from the pair's TAP that found too few receive buffers waits
  // here with the TAP unread behind it, as a NIC with a full ring would
  // make the host wait, until the driver adds buffers and kicks.
  struct Held {
    std::vector<uint8_t> bytes;  // header and frame
    int kicks = 0;               // the driver's kicks since it was held
  };
  // What one queue pair's thread keeps.
  struct Pair {
    NetStats stats;
    Held held;
    // One byte more than the largest header and frame: a read that fills
    // it was cut short.
    std::vector<uint8_t> buffer = std::vector<uint8_t>(sizeof(NetHeader) + kMaxFrame + 1);
  };
  // A frame still without room after this many kicks could never fit
  // (a ring too small for it): it is dropped.
  static constexpr int kMaxHeldKicks = 8;

  void Hold(size_t pair, size_t n, Rings& rings) {
    Pair& p = pairs_[pair];
    p.held.bytes.assign(p.buffer.begin(), p.buffer.begin() + static_cast<ptrdiff_t>(n));
    p.held.kicks = 0;
    rings.Watch(taps_[pair], false);
    Release(pair, rings, /*kicked=*/false);  // arms the kick
  }

  // On a receive ring's kick (and when a frame is first held): the held
  // frame if it now fits, and the TAP read again; else the kick armed for
  // the driver's next buffers.
  void Release(size_t pair, Rings& rings, bool kicked = true) {
    DeviceQueue* rx = rings.Queue(2 * pair);
    Held& h = pairs_[pair].held;
    if (rx == nullptr || h.bytes.empty()) {
      if (rx != nullptr) rx->DisableKicks();  // nothing waits for buffers
      return;
    }
    NetHeader header;
    std::memcpy(&header, h.bytes.data(), sizeof header);
    for (;;) {
      const uint16_t seen = rx->AvailableIndex();
      if (Deliver(*rx, 2 * pair, rings, header, h.bytes.data() + sizeof header,
                  h.bytes.size() - sizeof header)) {
        rx->Publish();
        rings.Notify(2 * pair);
        break;
      }
      if (kicked && ++h.kicks >= kMaxHeldKicks) {
        ++pairs_[pair].stats.rx_dropped;
        break;
      }
      if (rx->EnableKicksPast(seen) == seen) return;  // else buffers came meanwhile: again
      kicked = false;
    }
    h.bytes.clear();
    rx->DisableKicks();
    rings.Watch(taps_[pair], true);
  }

  static constexpr uint64_t kOffloads = Bit(kNetFeatureCsum) | Bit(kNetFeatureGuestCsum) |
                                        Bit(kNetFeatureGuestTso4) | Bit(kNetFeatureGuestTso6) |
                                        Bit(kNetFeatureHostTso4) | Bit(kNetFeatureHostTso6);

  // A TAP read holds a header and at least an Ethernet header, and was not
  // cut short by our buffer.
  static bool TapFrameFits(size_t n) {
    return n >= sizeof(NetHeader) + kEthernetHeader && n < sizeof(NetHeader) + kMaxFrame + 1;
  }

  // The TAP's header as the guest may see it: DATA_VALID only with
  // GUEST_CSUM; a partial checksum or a segmentation type it did not take
  // (the TAP was told not to give any) is refused.
  bool TakenByGuest(NetHeader* h) const {
    const bool csum = (features_ & Bit(kNetFeatureGuestCsum)) != 0;
    if (!csum) h->flags = static_cast<uint8_t>(h->flags & ~kNetHeaderDataValid);
    if ((h->flags & kNetHeaderNeedsCsum) != 0 && !csum) return false;
    h->num_buffers = 0;
    switch (h->gso_type) {
      case kNetGsoNone:
        return true;
      case kNetGsoTcpv4:
        return (features_ & Bit(kNetFeatureGuestTso4)) != 0;
      case kNetGsoTcpv6:
        return (features_ & Bit(kNetFeatureGuestTso6)) != 0;
      default:
        return false;
    }
  }

  bool Deliver(DeviceQueue& rx, size_t index, Rings& rings, const NetHeader& header,
               const uint8_t* frame, size_t size) {
    uint64_t malformed = 0;
    NetStats& stats = pairs_[index / 2].stats;
    const bool ok = DeliverFrame(rx, header, frame, size, merge_, &malformed, &stats.rx_buffers);
    for (uint64_t i = 0; i < malformed; ++i) {
      rings.Malformed(index, "a receive chain without room for a frame");
    }
    if (ok) {
      ++stats.rx_frames;
      stats.rx_bytes += size;
    }
    return ok;
  }

  void Transmit(size_t index, Rings& rings) {
    DeviceQueue* tx = rings.Queue(index);
    if (tx == nullptr) return;
    const size_t pair = index / 2;
    NetStats& stats = pairs_[pair].stats;
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
        NetHeader header{};
        std::vector<uint8_t> frame = ReadTxFrame(chain, features_, &header, &error);
        tx->Push(chain.head, 0);
        if (frame.empty()) {
          rings.Malformed(index, error);
          continue;
        }
        ++stats.tx_frames;
        stats.tx_bytes += frame.size();
        if (options_.reflect) {
          if (!Reflect(&frame, kReflectorMac)) continue;
          if (rx == nullptr ||
              !Deliver(*rx, index - 1, rings, NetHeader{}, frame.data(), frame.size())) {
            ++stats.rx_dropped;
            continue;
          }
          received = true;
        } else if (pair < taps_.size()) {
          // A full TAP queue drops, as a NIC would; the stack retransmits.
          header.num_buffers = 0;
          iovec iov[2] = {{&header, sizeof header}, {frame.data(), frame.size()}};
          (void)!writev(taps_[pair], iov, 2);
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
  uint64_t features_ = 0;
  bool merge_ = false;
  bool legacy_ = false;
  std::vector<Pair> pairs_;
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
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (queues > 1) ifr.ifr_flags |= IFF_MULTI_QUEUE;
    int header_size = sizeof(NetHeader);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0 || ioctl(fd, TUNSETVNETHDRSZ, &header_size) != 0) {
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
  NetDevice device(options_, taps_);
  auto served = server_.Serve(device, stop_fd);
  if (!served.ok()) return served.status();
  VhostUserNetReport report;
  static_cast<VhostUserReport&>(report) = std::move(*served);
  report.net = device.Stats();
  return report;
}

}  // namespace perfkit::virtio
