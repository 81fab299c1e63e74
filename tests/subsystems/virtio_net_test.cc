// virtio-net's data path against a driver queue in the same process:
// transmitted frames read back exactly, received frames spread over
// mergeable buffers with their count in the header, malformed chains of
// every kind refused, the reflector's answers (UDP, ARP, ping) with valid
// checksums, and the configuration space's layout.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <vector>

#include "subsystems/virtio/device_queue.h"
#include "subsystems/virtio/driver_queue.h"
#include "subsystems/virtio/guest_memory.h"
#include "subsystems/virtio/net_device.h"

namespace perfkit::virtio {
namespace {

// A driver and a device over one ring and a pool of buffer memory.
struct NetRing {
  explicit NetRing(uint16_t size = 32) : driver(size, {true, false}, 8), pool(size_t{64} << 10) {
    memory.AddBorrowed(driver.ring_region());
    const auto base = reinterpret_cast<uint64_t>(pool.data());
    memory.AddBorrowed({base, pool.size(), base, pool.data()});
    device.emplace(driver.addresses(), &memory, QueueFeatures{true, false});
  }
  uint8_t* at(size_t offset) { return pool.data() + offset; }
  // A transmit chain made available and popped by the device.
  Chain Offer(const Buffer* buffers, size_t n) {
    Chain c;
    EXPECT_TRUE(driver.Add(buffers, n));
    driver.PublishAndNeedKick();
    EXPECT_TRUE(device->Pop(&c));
    return c;
  }
  // The device completes it, the driver takes it back.
  void Complete(const Chain& c) {
    device->Push(c.head, 0);
    device->Publish();
    uint16_t head;
    uint32_t written;
    EXPECT_TRUE(driver.PopUsed(&head, &written));
  }
  DriverQueue driver;
  std::vector<uint8_t> pool;
  GuestMemory memory;
  std::optional<DeviceQueue> device;
};

std::vector<uint8_t> Frame(size_t size, uint8_t seed) {
  std::vector<uint8_t> f(size);
  for (size_t i = 0; i < size; ++i) f[i] = static_cast<uint8_t>(seed + i * 7);
  return f;
}

uint16_t Sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// An Ethernet + IPv4 + UDP frame with valid checksums.
std::vector<uint8_t> UdpFrame(size_t payload) {
  std::vector<uint8_t> f(14 + 20 + 8 + payload);
  const uint8_t dst_mac[6] = {2, 0, 0, 0, 0, 9}, src_mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
  std::memcpy(f.data(), dst_mac, 6);
  std::memcpy(f.data() + 6, src_mac, 6);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>((20 + 8 + payload) >> 8);
  ip[3] = static_cast<uint8_t>(20 + 8 + payload);
  ip[8] = 64;
  ip[9] = 17;
  const uint8_t src_ip[4] = {192, 0, 2, 2}, dst_ip[4] = {192, 0, 2, 1};
  std::memcpy(ip + 12, src_ip, 4);
  std::memcpy(ip + 16, dst_ip, 4);
  const uint16_t ip_sum = static_cast<uint16_t>(~Sum16(ip, 20));
  ip[10] = static_cast<uint8_t>(ip_sum >> 8);
  ip[11] = static_cast<uint8_t>(ip_sum);
  uint8_t* udp = ip + 20;
  udp[0] = 0x9c;  // 40000
  udp[1] = 0x40;
  udp[2] = 0x13;  // 5001
  udp[3] = 0x89;
  udp[4] = static_cast<uint8_t>((8 + payload) >> 8);
  udp[5] = static_cast<uint8_t>(8 + payload);
  for (size_t i = 0; i < payload; ++i) udp[8 + i] = static_cast<uint8_t>(i);
  return f;
}

// The UDP checksum over the pseudo-header, as a receiver checks it.
uint16_t UdpChecksumOf(const std::vector<uint8_t>& f) {
  const uint8_t* ip = f.data() + 14;
  const size_t len = f.size() - 34;
  uint8_t pseudo[12] = {};
  std::memcpy(pseudo, ip + 12, 8);
  pseudo[9] = 17;
  pseudo[10] = static_cast<uint8_t>(len >> 8);
  pseudo[11] = static_cast<uint8_t>(len);
  return Sum16(ip + 20, len, Sum16(pseudo, 12));
}

TEST(VirtioNet, ATransmittedFrameReadsBackExactlyAcrossSegments) {
  NetRing r;
  const auto frame = Frame(1514, 3);
  NetHeader h{};
  std::memcpy(r.at(0), &h, sizeof h);
  std::memcpy(r.at(100), frame.data(), 600);
  std::memcpy(r.at(1000), frame.data() + 600, frame.size() - 600);
  const Buffer chain[3] = {{r.at(0), 12, false},
                           {r.at(100), 600, false},
                           {r.at(1000), static_cast<uint32_t>(frame.size() - 600), false}};
  ASSERT_TRUE(r.driver.Add(chain, 3));
  r.driver.PublishAndNeedKick();
  Chain c;
  ASSERT_TRUE(r.device->Pop(&c));
  std::string error;
  NetHeader got{};
  EXPECT_EQ(ReadTxFrame(c, 0, &got, &error), frame);
  EXPECT_TRUE(error.empty()) << error;
}

TEST(VirtioNet, MalformedTransmitChainsAreRefusedWithTheReason) {
  struct Case {
    std::vector<Buffer> buffers;
    const char* why;
  };
  NetRing r;
  NetHeader offload{};
  offload.gso_type = 1;  // TCPv4 segmentation, never offered
  std::memcpy(r.at(200), &offload, sizeof offload);
  const Case cases[] = {
      {{{r.at(0), 12, false}, {r.at(100), 60, true}}, "writable"},
      {{{r.at(0), 8, false}}, "shorter than its header"},
      {{{r.at(200), 12, false}, {r.at(300), 60, false}}, "not negotiated"},
      {{{r.at(0), 12, false}, {r.at(100), 10, false}}, "frame of 10 bytes"},
  };
  for (const Case& k : cases) {
    std::memset(r.at(0), 0, 12);
    const Chain c = r.Offer(k.buffers.data(), k.buffers.size());
    std::string error;
    NetHeader got{};
    EXPECT_TRUE(ReadTxFrame(c, 0, &got, &error).empty());
    EXPECT_NE(error.find(k.why), std::string::npos) << error;
    r.Complete(c);
  }
}

// With the offloads negotiated a partial checksum and TCP segmentation
// pass, their header returned for the TAP; one that does not fit its frame
// or was not negotiated is refused.
TEST(VirtioNet, OffloadHeadersAreCheckedAgainstWhatWasNegotiated) {
  const uint64_t offloads = Bit(kNetFeatureCsum) | Bit(kNetFeatureHostTso4);
  struct Case {
    uint8_t flags, gso;
    uint16_t gso_size, csum_start, csum_offset;
    uint64_t features;
    const char* why;  // nullptr: accepted
  };
  const Case cases[] = {
      {kNetHeaderNeedsCsum, kNetGsoNone, 0, 34, 6, offloads, nullptr},
      {kNetHeaderNeedsCsum, kNetGsoTcpv4, 1448, 34, 16, offloads, nullptr},
      {kNetHeaderNeedsCsum, kNetGsoNone, 0, 34, 6, 0, "flags 1"},
      {kNetHeaderDataValid, kNetGsoNone, 0, 0, 0, offloads, "flags 2"},
      {kNetHeaderNeedsCsum, kNetGsoNone, 0, 90, 16, offloads, "past a frame of 100"},
      {kNetHeaderNeedsCsum, kNetGsoTcpv6, 1448, 54, 16, offloads, "type 4"},
      {kNetHeaderNeedsCsum, kNetGsoTcpv4, 0, 34, 16, offloads, "without a segment size"},
      {0, kNetGsoTcpv4, 1448, 0, 0, offloads, "partial checksum"},
  };
  NetRing r;
  const auto frame = Frame(100, 7);
  std::memcpy(r.at(100), frame.data(), frame.size());
  for (const Case& k : cases) {
    NetHeader h{};
    h.flags = k.flags;
    h.gso_type = k.gso;
    h.gso_size = k.gso_size;
    h.csum_start = k.csum_start;
    h.csum_offset = k.csum_offset;
    std::memcpy(r.at(0), &h, sizeof h);
    const Buffer chain[2] = {{r.at(0), 12, false}, {r.at(100), 100, false}};
    const Chain c = r.Offer(chain, 2);
    std::string error;
    NetHeader got{};
    const auto read = ReadTxFrame(c, k.features, &got, &error);
    if (k.why == nullptr) {
      EXPECT_EQ(read, frame) << error;
      EXPECT_EQ(got.gso_type, k.gso);
      EXPECT_EQ(got.csum_start, k.csum_start);
    } else {
      EXPECT_TRUE(read.empty());
      EXPECT_NE(error.find(k.why), std::string::npos) << error;
    }
    r.Complete(c);
  }
}

// Collects what the driver got: the used lengths and the bytes of each
// buffer (posted at 2048-byte strides of `each` bytes).
struct Received {
  std::vector<uint32_t> lengths;
  std::vector<uint8_t> bytes;
};
Received Drain(NetRing& r, size_t each) {
  Received out;
  uint16_t head;
  uint32_t written;
  while (r.driver.PopUsed(&head, &written)) {
    out.lengths.push_back(written);
    const uint8_t* b = r.at(size_t{head} * 2048);
    out.bytes.insert(out.bytes.end(), b, b + std::min<size_t>(written, each));
  }
  return out;
}

void PostReceiveBuffers(NetRing& r, size_t count, uint32_t each) {
  for (size_t i = 0; i < count; ++i) {
    // One descriptor per chain: its head is its index, so buffer i sits at i * 2048.
    const Buffer b{r.at(i * 2048), each, true};
    ASSERT_TRUE(r.driver.Add(&b, 1));
  }
  r.driver.PublishAndNeedKick();
}

TEST(VirtioNet, AFrameSpreadsOverMergeableBuffersWithTheirCount) {
  NetRing r;
  PostReceiveBuffers(r, 8, 64);
  const auto frame = Frame(200, 9);  // 212 bytes with the header: four buffers
  uint64_t malformed = 0, buffers = 0;
  ASSERT_TRUE(
      DeliverFrame(*r.device, NetHeader{}, frame.data(), frame.size(), true, &malformed, &buffers));
  r.device->Publish();
  const Received got = Drain(r, 64);
  ASSERT_EQ(got.lengths, (std::vector<uint32_t>{64, 64, 64, 20}));
  NetHeader h{};
  std::memcpy(&h, got.bytes.data(), sizeof h);
  EXPECT_EQ(h.num_buffers, 4);
  EXPECT_EQ(std::vector<uint8_t>(got.bytes.begin() + 12, got.bytes.end()), frame);
  EXPECT_EQ(buffers, 4u);
  EXPECT_EQ(malformed, 0u);
}

// A received frame's header (a TAP's: a 64 KiB TCP frame with a partial
// checksum) reaches the driver as it came, but for the buffer count.
TEST(VirtioNet, AReceivedHeaderReachesTheDriverWithItsBufferCount) {
  NetRing r;
  PostReceiveBuffers(r, 4, 64);
  NetHeader h{};
  h.flags = kNetHeaderNeedsCsum;
  h.gso_type = kNetGsoTcpv4;
  h.gso_size = 1448;
  h.csum_start = 34;
  h.csum_offset = 16;
  h.num_buffers = 77;  // whatever the TAP left there
  const auto frame = Frame(100, 3);
  uint64_t malformed = 0, buffers = 0;
  ASSERT_TRUE(DeliverFrame(*r.device, h, frame.data(), frame.size(), true, &malformed, &buffers));
  r.device->Publish();
  const Received got = Drain(r, 64);
  NetHeader seen{};
  std::memcpy(&seen, got.bytes.data(), sizeof seen);
  EXPECT_EQ(seen.flags, kNetHeaderNeedsCsum);
  EXPECT_EQ(seen.gso_type, kNetGsoTcpv4);
  EXPECT_EQ(seen.gso_size, 1448);
  EXPECT_EQ(seen.csum_start, 34);
  EXPECT_EQ(seen.csum_offset, 16);
  EXPECT_EQ(seen.num_buffers, 2);
}

TEST(VirtioNet, TooFewBuffersDropTheFrameAndConsumeNothing) {
  NetRing r;
  PostReceiveBuffers(r, 2, 64);
  const auto big = Frame(500, 1);
  uint64_t malformed = 0, buffers = 0;
  EXPECT_FALSE(
      DeliverFrame(*r.device, NetHeader{}, big.data(), big.size(), true, &malformed, &buffers));
  // The two buffers are still there for a frame that fits.
  const auto small = Frame(100, 2);
  ASSERT_TRUE(
      DeliverFrame(*r.device, NetHeader{}, small.data(), small.size(), true, &malformed, &buffers));
  r.device->Publish();
  const Received got = Drain(r, 64);
  ASSERT_EQ(got.lengths, (std::vector<uint32_t>{64, 48}));
  EXPECT_EQ(std::vector<uint8_t>(got.bytes.begin() + 12, got.bytes.end()), small);
}

TEST(VirtioNet, WithoutMergingAFrameTakesOneBufferAndSmallOnesAreRefusedAfterIt) {
  NetRing r;
  const Buffer tiny{r.at(0), 16, true};
  ASSERT_TRUE(r.driver.Add(&tiny, 1));
  const Buffer big{r.at(2048), 2048, true};
  ASSERT_TRUE(r.driver.Add(&big, 1));
  r.driver.PublishAndNeedKick();
  const auto frame = Frame(1000, 5);
  uint64_t malformed = 0, buffers = 0;
  ASSERT_TRUE(DeliverFrame(*r.device, NetHeader{}, frame.data(), frame.size(), false, &malformed,
                           &buffers));
  r.device->Publish();
  uint16_t head;
  uint32_t written;
  ASSERT_TRUE(r.driver.PopUsed(&head, &written));
  EXPECT_EQ(written, 1012u);  // the frame first, whole
  EXPECT_EQ(std::memcmp(r.at(2048 + 12), frame.data(), frame.size()), 0);
  ASSERT_TRUE(r.driver.PopUsed(&head, &written));
  EXPECT_EQ(written, 0u);  // then the refused one, empty
  EXPECT_EQ(malformed, 1u);
}

TEST(VirtioNet, AReadOnlyReceiveBufferIsCompletedEmptyAfterTheFrame) {
  NetRing r;
  const Buffer readable{r.at(0), 64, false};
  ASSERT_TRUE(r.driver.Add(&readable, 1));
  PostReceiveBuffers(r, 0, 0);
  const Buffer good[2] = {{r.at(2048), 64, true}, {r.at(4096), 64, true}};
  ASSERT_TRUE(r.driver.Add(&good[0], 1));
  ASSERT_TRUE(r.driver.Add(&good[1], 1));
  r.driver.PublishAndNeedKick();
  const auto frame = Frame(100, 4);
  uint64_t malformed = 0, buffers = 0;
  ASSERT_TRUE(
      DeliverFrame(*r.device, NetHeader{}, frame.data(), frame.size(), true, &malformed, &buffers));
  r.device->Publish();
  std::vector<uint32_t> lengths;
  uint16_t head;
  uint32_t written;
  while (r.driver.PopUsed(&head, &written)) lengths.push_back(written);
  EXPECT_EQ(lengths, (std::vector<uint32_t>{64, 48, 0}));
  EXPECT_EQ(malformed, 1u);
}

const uint8_t kDeviceMac[6] = {2, 0, 0, 0, 0, 1};

TEST(VirtioNet, ReflectedUdpComesBackFromItsDestinationWithAValidChecksum) {
  auto f = UdpFrame(100);
  const uint8_t* udp = f.data() + 34;
  const uint16_t sum = static_cast<uint16_t>(~UdpChecksumOf(f));
  f[34 + 6] = static_cast<uint8_t>(sum >> 8);
  f[34 + 7] = static_cast<uint8_t>(sum);
  ASSERT_EQ(UdpChecksumOf(f), 0xffff);
  const auto sent = f;
  ASSERT_TRUE(Reflect(&f, kDeviceMac));
  EXPECT_EQ(std::memcmp(f.data(), sent.data() + 6, 6), 0);        // to the sender's MAC
  EXPECT_EQ(std::memcmp(f.data() + 26, sent.data() + 30, 4), 0);  // from where it was sent
  EXPECT_EQ(std::memcmp(f.data() + 30, sent.data() + 26, 4), 0);
  EXPECT_EQ(std::memcmp(udp, sent.data() + 36, 2), 0);  // ports swapped
  EXPECT_EQ(Sum16(f.data() + 14, 20), 0xffff);          // IPv4 header checksum
  EXPECT_EQ(UdpChecksumOf(f), 0xffff);
  EXPECT_EQ(std::memcmp(f.data() + 42, sent.data() + 42, 100), 0);
}

TEST(VirtioNet, ReflectAnswersArpAndPing) {
  std::vector<uint8_t> arp(14 + 28);
  std::memset(arp.data(), 0xff, 6);
  const uint8_t guest_mac[6] = {0x52, 0x54, 0, 1, 2, 3};
  std::memcpy(arp.data() + 6, guest_mac, 6);
  arp[12] = 0x08;
  arp[13] = 0x06;
  const uint8_t body[28] = {0,   1, 8, 0, 6, 4, 0, 1, 0x52, 0x54, 0,   1, 2, 3,
                            192, 0, 2, 2, 0, 0, 0, 0, 0,    0,    192, 0, 2, 1};
  std::memcpy(arp.data() + 14, body, 28);
  ASSERT_TRUE(Reflect(&arp, kDeviceMac));
  EXPECT_EQ(std::memcmp(arp.data(), guest_mac, 6), 0);
  EXPECT_EQ(arp[14 + 7], 2);                                  // a reply
  EXPECT_EQ(std::memcmp(arp.data() + 22, kDeviceMac, 6), 0);  // 192.0.2.1 is at our MAC
  EXPECT_EQ(arp[28 + 3], 1);
  EXPECT_FALSE(Reflect(&arp, kDeviceMac));  // nobody answers a reply

  auto ping = UdpFrame(32);
  ping[14 + 9] = 1;  // ICMP echo request, id 1, seq 1
  uint8_t* icmp = ping.data() + 34;
  std::memset(icmp, 0, 8);
  icmp[0] = 8;
  icmp[5] = 1;
  icmp[7] = 1;
  const uint16_t sum = static_cast<uint16_t>(~Sum16(icmp, 8 + 32));
  icmp[2] = static_cast<uint8_t>(sum >> 8);
  icmp[3] = static_cast<uint8_t>(sum);
  ASSERT_TRUE(Reflect(&ping, kDeviceMac));
  EXPECT_EQ(icmp[0], 0);                   // an echo reply
  EXPECT_EQ(Sum16(icmp, 8 + 32), 0xffff);  // whose checksum holds
  EXPECT_EQ(ping[14 + 19], 2);             // to 192.0.2.2
}

TEST(VirtioNet, ConfigSpaceIsMacStatusAndPairs) {
  const auto c = NetConfig(kDeviceMac, 4, 12);
  ASSERT_EQ(c.size(), 12u);
  EXPECT_EQ(std::memcmp(c.data(), kDeviceMac, 6), 0);
  EXPECT_EQ(c[6], 1);  // link up
  EXPECT_EQ(c[8], 4);  // max_virtqueue_pairs
  EXPECT_EQ(c[10], 0);
  EXPECT_EQ(NetConfig(kDeviceMac, 4, 4).size(), 4u);
}

}  // namespace
}  // namespace perfkit::virtio
