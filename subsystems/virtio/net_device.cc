#include "subsystems/virtio/net_device.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace perfkit::virtio {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void PutBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void SwapBytes(uint8_t* a, uint8_t* b, size_t n) { std::swap_ranges(a, a + n, b); }

// Copies up to `n` readable bytes of the chain from logical offset `at`.
size_t ReadAt(const Chain& chain, size_t at, uint8_t* out, size_t n) {
  size_t done = 0;
  for (const Segment& s : chain.segments) {
    if (s.writable || done == n) break;
    if (at >= s.len) {
      at -= s.len;
      continue;
    }
    const size_t take = std::min<size_t>(s.len - at, n - done);
    std::memcpy(out + done, s.data + at, take);
    done += take;
    at = 0;
  }
  return done;
}

size_t WritableBytes(const Chain& chain) {
  size_t n = 0;
  for (const Segment& s : chain.segments) n += s.writable ? s.len : 0;
  return n;
}

// Writes `n` bytes at logical offset `at` of the chain's writable part;
// returns how many fitted.
size_t WriteAt(const Chain& chain, size_t at, const uint8_t* src, size_t n) {
  size_t done = 0;
  for (const Segment& s : chain.segments) {
    if (!s.writable) continue;
    if (done == n) break;
    if (at >= s.len) {
      at -= s.len;
      continue;
    }
    const size_t put = std::min<size_t>(s.len - at, n - done);
    std::memcpy(s.data + at, src + done, put);
    done += put;
    at = 0;
  }
  return done;
}

// RFC 1624: the checksum after one 16-bit word changed from `from` to `to`.
uint16_t AdjustChecksum(uint16_t sum, uint16_t from, uint16_t to) {
  uint32_t s =
      static_cast<uint16_t>(~sum) + static_cast<uint32_t>(static_cast<uint16_t>(~from)) + to;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

bool ReflectArp(std::vector<uint8_t>* frame, const uint8_t mac[6]) {
  uint8_t* f = frame->data();
  if (frame->size() < kEthernetHeader + 28) return false;
  uint8_t* arp = f + kEthernetHeader;
  // Ethernet and IPv4 addresses, a request.
  if (Be16(arp) != 1 || Be16(arp + 2) != kEtherIpv4 || arp[4] != 6 || arp[5] != 4 ||
      Be16(arp + 6) != 1) {
    return false;
  }
  uint8_t asked_ip[4];
  std::memcpy(asked_ip, arp + 24, 4);
  std::memcpy(arp + 18, arp + 8, 10);  // the requester becomes the target
  std::memcpy(arp + 8, mac, 6);
  std::memcpy(arp + 14, asked_ip, 4);
  PutBe16(arp + 6, 2);  // a reply
  std::memcpy(f, arp + 18, 6);
  std::memcpy(f + 6, mac, 6);
  return true;
}

void SwapPorts(uint8_t* l4, size_t left, uint8_t proto) {
  if ((proto == kProtoUdp || proto == kProtoTcp) && left >= 4) SwapBytes(l4, l4 + 2, 2);
}

void ReflectIpv4(uint8_t* ip, size_t left) {
  if (left < 20 || (ip[0] >> 4) != 4) return;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  if (ihl < 20 || left < ihl) return;
  SwapBytes(ip + 12, ip + 16, 4);
  const bool first_fragment = (Be16(ip + 6) & 0x1fff) == 0;
  if (!first_fragment) return;
  uint8_t* l4 = ip + ihl;
  const uint8_t proto = ip[9];
  if (proto == kProtoIcmp && left >= ihl + 4 && l4[0] == 8 && l4[1] == 0) {
    l4[0] = 0;  // an echo request comes back as its reply, so ping works
    PutBe16(l4 + 2, AdjustChecksum(Be16(l4 + 2), 0x0800, 0x0000));
    return;
  }
  SwapPorts(l4, left - ihl, proto);
}

void ReflectIpv6(uint8_t* ip, size_t left) {
  if (left < 40 || (ip[0] >> 4) != 6) return;
  SwapBytes(ip + 8, ip + 24, 16);
  SwapPorts(ip + 40, left - 40, ip[6]);
}

// Why a transmit header cannot be honoured for a frame of `size` bytes,
// or "". The TAP's kernel checks again; this keeps a hostile driver's
// header from reaching it, and the reflector from turning one around.
std::string CheckTxHeader(const NetHeader& h, size_t size, uint64_t features) {
  const auto has = [features](int bit) { return (features >> bit & 1) != 0; };
  if ((h.flags & ~kNetHeaderNeedsCsum) != 0 || (h.flags != 0 && !has(kNetFeatureCsum))) {
    return "a transmit header with flags " + std::to_string(h.flags) +
           " (offered: " + (has(kNetFeatureCsum) ? "NEEDS_CSUM" : "none") + ")";
  }
  if (h.flags != 0 && size_t{h.csum_start} + h.csum_offset + 2 > size) {
    return "a checksum at " + std::to_string(h.csum_start) + "+" + std::to_string(h.csum_offset) +
           " past a frame of " + std::to_string(size) + " bytes";
  }
  if (h.gso_type == kNetGsoNone) return "";
  const bool offered = (h.gso_type == kNetGsoTcpv4 && has(kNetFeatureHostTso4)) ||
                       (h.gso_type == kNetGsoTcpv6 && has(kNetFeatureHostTso6));
  if (!offered) {
    return "a transmit header asking for segmentation type " + std::to_string(h.gso_type) +
           ", which was not negotiated";
  }
  if (h.gso_size == 0 || h.flags != kNetHeaderNeedsCsum) {
    return "a segmentation request without a segment size or a partial checksum";
  }
  return "";
}

}  // namespace

std::vector<uint8_t> ReadTxFrame(const Chain& chain, uint64_t features, NetHeader* header,
                                 std::string* error) {
  error->clear();
  if (!chain.error.empty()) {
    *error = chain.error;
    return {};
  }
  size_t total = 0;
  for (const Segment& s : chain.segments) {
    if (s.writable) {
      *error = "a transmit chain with a writable descriptor";
      return {};
    }
    total += s.len;
  }
  if (total < sizeof(NetHeader)) {
    *error = "a transmit chain of " + std::to_string(total) + " bytes, shorter than its header";
    return {};
  }
  NetHeader& h = *header;
  ReadAt(chain, 0, reinterpret_cast<uint8_t*>(&h), sizeof h);
  const size_t size = total - sizeof h;
  if (size < kEthernetHeader || size > kMaxFrame) {
    *error = "a transmitted frame of " + std::to_string(size) + " bytes";
    return {};
  }
  if (*error = CheckTxHeader(h, size, features); !error->empty()) return {};
  std::vector<uint8_t> frame(size);
  ReadAt(chain, sizeof h, frame.data(), size);
  return frame;
}

bool DeliverFrame(DeviceQueue& rx, NetHeader header, const uint8_t* frame, size_t size, bool merge,
                  uint64_t* malformed, uint64_t* buffers_used) {
  struct Used {
    uint16_t head;
    uint32_t written;
  };
  std::vector<Used> used, refused;
  std::vector<Chain> chains;
  const size_t total = sizeof(NetHeader) + size;
  size_t placed = 0;
  uint16_t popped = 0;
  Chain chain;
  while (placed < total) {
    if (!rx.Pop(&chain)) {
      rx.Unpop(popped);  // all of them again next time, refused ones too
      return false;
    }
    ++popped;
    const size_t room = chain.error.empty() ? WritableBytes(chain) : 0;
    if (room == 0 || (!merge && room < total)) {
      // Malformed, or without MRG_RXBUF too small for the frame: completed
      // empty (the driver counts an error) after the frame's own buffers,
      // so they cannot split it, rather than held up forever.
      if (chain.head_valid) refused.push_back({chain.head, 0});
      continue;
    }
    const size_t put = std::min(room, total - placed);
    if (placed < sizeof(NetHeader)) {
      // The header goes in once the number of buffers is known.
      const size_t header_here = std::min(put, sizeof(NetHeader) - placed);
      if (put > header_here) {
        WriteAt(chain, header_here, frame, put - header_here);
      }
    } else {
      WriteAt(chain, 0, frame + (placed - sizeof(NetHeader)), put);
    }
    used.push_back({chain.head, static_cast<uint32_t>(put)});
    chains.push_back(chain);
    placed += put;
  }
  header.num_buffers = static_cast<uint16_t>(used.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(&header);
  size_t written = 0;
  for (const Chain& c : chains) {
    if (written == sizeof header) break;
    written += WriteAt(c, 0, bytes + written, sizeof header - written);
  }
  for (const Used& u : used) rx.Push(u.head, u.written);
  for (const Used& u : refused) rx.Push(u.head, u.written);
  *malformed += refused.size();
  *buffers_used += used.size();
  return true;
}

bool Reflect(std::vector<uint8_t>* frame, const uint8_t mac[6]) {
  if (frame->size() < kEthernetHeader) return false;
  uint8_t* f = frame->data();
  const uint16_t type = Be16(f + 12);
  if (type == kEtherArp) return ReflectArp(frame, mac);
  SwapBytes(f, f + 6, 6);
  const size_t left = frame->size() - kEthernetHeader;
  if (type == kEtherIpv4) ReflectIpv4(f + kEthernetHeader, left);
  if (type == kEtherIpv6) ReflectIpv6(f + kEthernetHeader, left);
  return true;
}

std::vector<uint8_t> NetConfig(const uint8_t mac[6], uint16_t max_pairs, size_t size) {
  std::vector<uint8_t> config(std::max<size_t>(size, 10));
  std::memcpy(config.data(), mac, 6);
  config[6] = 1;  // VIRTIO_NET_S_LINK_UP, little-endian
  config[8] = static_cast<uint8_t>(max_pairs);
  config[9] = static_cast<uint8_t>(max_pairs >> 8);
  config.resize(size);
  return config;
}

}  // namespace perfkit::virtio
