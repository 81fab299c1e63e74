// virtio-net's data path (VIRTIO 1.2, 5.1) over split virtqueues: frames a
// driver transmits (a 12-byte virtio_net_hdr, then the Ethernet frame, in
// the readable part of a chain), frames delivered into the driver's receive
// buffers (with VIRTIO_NET_F_MRG_RXBUF spread over as many buffers as it
// takes, their count in the first header). Queues: receive 2k, transmit
// 2k+1 for pair k; the control queue is QEMU's (under vhost-user it tells
// the back end which pairs run with SET_VRING_ENABLE). Checksum and TCP
// segmentation offloads are checked against what was negotiated: a header
// asking for one that was not, or describing a frame it does not fit, is
// refused like any malformed chain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/virtio/device_queue.h"

namespace perfkit::virtio {

inline constexpr int kNetFeatureCsum = 0;       // the device completes checksums
inline constexpr int kNetFeatureGuestCsum = 1;  // the driver takes partial checksums
inline constexpr int kNetFeatureGuestTso4 = 7;
inline constexpr int kNetFeatureGuestTso6 = 8;
inline constexpr int kNetFeatureHostTso4 = 11;
inline constexpr int kNetFeatureHostTso6 = 12;
inline constexpr int kNetFeatureMac = 5;
inline constexpr int kNetFeatureMrgRxbuf = 15;
inline constexpr int kNetFeatureStatus = 16;
inline constexpr int kNetFeatureCtrlVq = 17;
inline constexpr int kNetFeatureMq = 22;

// struct virtio_net_hdr as VERSION_1 (or MRG_RXBUF) lays it out.
struct NetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
  uint16_t num_buffers;
};
static_assert(sizeof(NetHeader) == 12);
inline constexpr uint8_t kNetHeaderNeedsCsum = 1;
inline constexpr uint8_t kNetHeaderDataValid = 2;
inline constexpr uint8_t kNetGsoNone = 0;
inline constexpr uint8_t kNetGsoTcpv4 = 1;
inline constexpr uint8_t kNetGsoTcpv6 = 4;

inline constexpr size_t kEthernetHeader = 14;
// The longest frame accepted either way: a 65535-byte IP packet and its
// Ethernet header (what Linux sends without offloads is at most the MTU).
inline constexpr size_t kMaxFrame = 65535 + kEthernetHeader;

struct NetStats {
  uint64_t tx_frames = 0, tx_bytes = 0;
  uint64_t rx_frames = 0, rx_bytes = 0;
  uint64_t rx_buffers = 0;  // receive chains used (more than frames with MRG_RXBUF)
  uint64_t rx_dropped = 0;  // no room in the receive ring
};

// The frame a transmit chain carries, its header checked against the
// negotiated `features` and returned in *header; empty with `*error` set
// when the chain is malformed (a writable descriptor, shorter than the
// header, an offload that was not negotiated or does not fit the frame, a
// frame shorter than an Ethernet header or longer than kMaxFrame).
std::vector<uint8_t> ReadTxFrame(const Chain& chain, uint64_t features, NetHeader* header,
                                 std::string* error);

// Writes `frame` behind `header` (its num_buffers filled in) into receive
// chains popped from `rx` and pushes them (not published): with `merge`
// (MRG_RXBUF) over as many chains as it takes, otherwise into one that
// holds it all. False, with nothing consumed, when the ring has too few
// buffers: the frame is dropped. A malformed receive chain (or, without
// `merge`, one too small for the frame) is completed empty after the frame
// and counted in *malformed.
bool DeliverFrame(DeviceQueue& rx, NetHeader header, const uint8_t* frame, size_t size, bool merge,
                  uint64_t* malformed, uint64_t* buffers_used);

// --reflect: the frame turned around, as if the host it was sent to had
// answered it with its own contents: MACs swapped, IPv4/IPv6 addresses
// swapped, UDP and TCP ports swapped (checksums stay right: the sums are
// over the same words). An ARP request is answered for any address with
// `mac`. False for a frame nothing would answer (too short, an ARP reply).
bool Reflect(std::vector<uint8_t>* frame, const uint8_t mac[6]);

// virtio_net_config's first `size` bytes: mac, status (link up),
// max_virtqueue_pairs; the rest zero.
std::vector<uint8_t> NetConfig(const uint8_t mac[6], uint16_t max_pairs, size_t size);

}  // namespace perfkit::virtio
