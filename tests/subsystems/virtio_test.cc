// The virtqueue against the VIRTIO 1.2 layout, driver and device sides
// together (index wrap-around, indirect tables, notification suppression),
// every kind of malformed chain refused without a read outside guest
// memory, and virtio-blk requests served from a file.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "subsystems/virtio/blk_device.h"
#include "subsystems/virtio/device_queue.h"
#include "subsystems/virtio/driver_queue.h"
#include "subsystems/virtio/guest_memory.h"
#include "subsystems/virtio/split_ring.h"

namespace perfkit::virtio {
namespace {

TEST(SplitRing, LayoutIsTheSpecifications) {
  EXPECT_EQ(RingLayout::DescBytes(256), 4096u);
  EXPECT_EQ(RingLayout::AvailBytes(256), 6u + 512u);  // flags, idx, ring, used_event
  EXPECT_EQ(RingLayout::UsedBytes(256), 6u + 2048u);  // flags, idx, ring, avail_event
  EXPECT_EQ(RingLayout::UsedEvent(256), 4u + 512u);
  EXPECT_EQ(RingLayout::AvailEvent(256), 4u + 2048u);
  EXPECT_EQ(sizeof(Desc), 16u);
  EXPECT_EQ(offsetof(Desc, len), 8u);
  EXPECT_EQ(offsetof(Desc, flags), 12u);
  EXPECT_EQ(offsetof(Desc, next), 14u);
}

TEST(SplitRing, NeedEventAcrossWrapAround) {
  EXPECT_TRUE(NeedEvent(5, 6, 5));          // passed 5
  EXPECT_FALSE(NeedEvent(7, 6, 5));         // not yet
  EXPECT_TRUE(NeedEvent(65535, 1, 65534));  // 65534 -> 1 passes 65535
  EXPECT_TRUE(NeedEvent(0, 2, 65535));
  EXPECT_FALSE(NeedEvent(3, 2, 65535));
  EXPECT_FALSE(NeedEvent(5, 5, 5));  // nothing moved
}

// A driver and a device over the same memory, in one thread.
struct Pair {
  Pair(uint16_t size, QueueFeatures f) : driver(size, f, 8), buffers(size_t{size} * 64) {
    memory.AddBorrowed(driver.ring_region());
    const auto base = reinterpret_cast<uint64_t>(buffers.data());
    memory.AddBorrowed({base, buffers.size(), base, buffers.data()});
    device.emplace(driver.addresses(), &memory, f);
  }
  uint8_t* slot(size_t i) { return &buffers[(i % (buffers.size() / 64)) * 64]; }
  DriverQueue driver;
  std::vector<uint8_t> buffers;
  GuestMemory memory;
  std::optional<DeviceQueue> device;
};

TEST(Virtqueue, EveryRequestOnceInOrderPastIndexWrapAround) {
  for (bool indirect : {false, true}) {
    Pair p(16, {true, indirect});
    uint64_t sent = 0, received = 0, completed = 0;
    while (completed < 70000) {                          // the 16-bit indices wrap once
      while (sent - completed < (indirect ? 8u : 5u)) {  // 3 descriptors each when direct
        uint8_t* b = p.slot(sent);
        std::memcpy(b, &sent, 8);
        const Buffer chain[3] = {{b, 8, false}, {b + 8, 8, false}, {b + 16, 1, true}};
        ASSERT_TRUE(p.driver.Add(chain, 3));
        ++sent;
      }
      p.driver.PublishAndNeedKick();
      Chain c;
      while (p.device->Pop(&c)) {
        ASSERT_TRUE(c.error.empty()) << c.error;
        ASSERT_EQ(c.indirect, indirect);
        ASSERT_EQ(c.segments.size(), 3u);
        uint64_t got;
        std::memcpy(&got, c.segments[0].data, 8);
        ASSERT_EQ(got, received++);
        c.segments[2].data[0] = 0x5a;
        p.device->Push(c.head, 1);
      }
      p.device->Publish();
      uint16_t head;
      uint32_t written;
      while (p.driver.PopUsed(&head, &written)) {
        ASSERT_EQ(written, 1u);
        ++completed;
      }
    }
    EXPECT_EQ(p.driver.free_descriptors(), 16);
  }
}

TEST(Virtqueue, EventIdxSuppressesInterruptsUntilTheDriversThreshold) {
  Pair p(16, {true, true});
  uint8_t* b = p.slot(0);
  const Buffer chain[1] = {{b, 1, true}};
  p.driver.DisableInterrupts();
  EXPECT_FALSE(p.driver.EnableInterrupts());  // used_event = 0: "the next one"
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(p.driver.Add(chain, 1));
  p.driver.PublishAndNeedKick();
  Chain c;
  int notified = 0;
  while (p.device->Pop(&c)) {
    p.device->Push(c.head, 1);
    p.device->Publish();
    notified += p.device->ShouldNotify();
  }
  EXPECT_EQ(notified, 1);  // the first completion crossed used_event; the rest did not
}

TEST(Virtqueue, WithoutEventIdxTheFlagsDecide) {
  Pair p(16, {false, false});
  const Buffer chain[1] = {{p.slot(0), 1, true}};
  p.driver.DisableInterrupts();
  ASSERT_TRUE(p.driver.Add(chain, 1));
  p.device->DisableKicks();
  EXPECT_FALSE(p.driver.PublishAndNeedKick());  // the device said NO_NOTIFY
  p.device->EnableKicks();
  ASSERT_TRUE(p.driver.Add(chain, 1));
  EXPECT_TRUE(p.driver.PublishAndNeedKick());
  Chain c;
  ASSERT_TRUE(p.device->Pop(&c));
  p.device->Push(c.head, 1);
  p.device->Publish();
  EXPECT_FALSE(p.device->ShouldNotify());  // NO_INTERRUPT
  p.driver.EnableInterrupts();
  ASSERT_TRUE(p.device->Pop(&c));
  p.device->Push(c.head, 1);
  p.device->Publish();
  EXPECT_TRUE(p.device->ShouldNotify());
}

// A device holding a frame for more receive buffers than are available
// leaves them there and asks for a kick past them: adding more kicks (with
// EVENT_IDX, where plain EnableKicks would wait at the first unused one and
// never hear of the next), and the index it returns tells of buffers that
// came while it armed.
TEST(Virtqueue, KicksPastChainsLeftAvailable) {
  Pair p(16, {true, false});
  const Buffer chain[1] = {{p.slot(0), 1, true}};
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(p.driver.Add(chain, 1));
  p.driver.PublishAndNeedKick();
  Chain c;
  ASSERT_TRUE(p.device->Pop(&c));
  ASSERT_TRUE(p.device->Pop(&c));
  p.device->Unpop(2);  // too few for the frame: left available
  const uint16_t seen = p.device->AvailableIndex();
  EXPECT_EQ(p.device->EnableKicksPast(seen), seen);
  ASSERT_TRUE(p.driver.Add(chain, 1));
  EXPECT_TRUE(p.driver.PublishAndNeedKick());
  EXPECT_NE(p.device->EnableKicksPast(seen), seen);  // one came since `seen`
}

// A hand-made ring in a guest memory block, to write what no honest driver
// would.
struct Hostile {
  static constexpr uint16_t kSize = 8;
  explicit Hostile(QueueFeatures f = {false, true}) : mem(65536, 0) {
    memory.AddBorrowed({0x10000, mem.size(), 0x10000, mem.data()});
    device.emplace(QueueAddresses{kSize, mem.data(), mem.data() + 1024, mem.data() + 2048}, &memory,
                   f);
  }
  Desc* desc() { return reinterpret_cast<Desc*>(mem.data()); }
  Desc* table(size_t offset) { return reinterpret_cast<Desc*>(mem.data() + offset); }
  // Makes head available and pops it.
  Chain Offer(uint16_t head) {
    uint8_t* avail = mem.data() + 1024;
    uint16_t idx;
    std::memcpy(&idx, avail + 2, 2);
    std::memcpy(avail + 4 + 2 * (idx % kSize), &head, 2);
    ++idx;
    std::memcpy(avail + 2, &idx, 2);
    Chain c;
    EXPECT_TRUE(device->Pop(&c));
    return c;
  }
  std::vector<uint8_t> mem;
  GuestMemory memory;
  std::optional<DeviceQueue> device;
};

constexpr uint64_t kData = 0x10000 + 8192;  // a guest address inside the block

TEST(HostileChains, EachIsRefusedWithItsReason) {
  struct Case {
    const char* what;
    std::function<uint16_t(Hostile&)> build;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"loop",
       [](Hostile& h) {
         h.desc()[0] = {kData, 16, kDescNext, 1};
         h.desc()[1] = {kData, 16, kDescNext, 0};
         return uint16_t{0};
       },
       "loop"},
      {"next out of table",
       [](Hostile& h) {
         h.desc()[0] = {kData, 16, kDescNext, 99};
         return uint16_t{0};
       },
       "outside the table"},
      {"outside guest memory",
       [](Hostile& h) {
         h.desc()[0] = {0x10000 + 65536 - 8, 16, 0, 0};
         return uint16_t{0};
       },
       "outside guest memory"},
      {"address wraps",
       [](Hostile& h) {
         h.desc()[0] = {~uint64_t{0} - 4, 16, 0, 0};
         return uint16_t{0};
       },
       "outside guest memory"},
      {"readable after writable",
       [](Hostile& h) {
         h.desc()[0] = {kData, 16, kDescWrite | kDescNext, 1};
         h.desc()[1] = {kData, 16, 0, 0};
         return uint16_t{0};
       },
       "readable after writable"},
      {"nested indirect",
       [](Hostile& h) {
         h.desc()[0] = {0x10000 + 4096, 32, kDescIndirect, 0};
         *h.table(4096) = {0x10000 + 4096, 16, kDescIndirect, 0};
         return uint16_t{0};
       },
       "inside an indirect table"},
      {"indirect with next",
       [](Hostile& h) {
         h.desc()[0] = {0x10000 + 4096, 16, kDescIndirect | kDescNext, 1};
         return uint16_t{0};
       },
       "together with NEXT"},
      {"indirect table of odd size",
       [](Hostile& h) {
         h.desc()[0] = {0x10000 + 4096, 20, kDescIndirect, 0};
         return uint16_t{0};
       },
       "indirect table of 20 bytes"},
      {"indirect loop",
       [](Hostile& h) {
         h.desc()[0] = {0x10000 + 4096, 32, kDescIndirect, 0};
         h.table(4096)[0] = {kData, 16, kDescNext, 1};
         h.table(4096)[1] = {kData, 16, kDescNext, 0};
         return uint16_t{0};
       },
       "loop"},
      {"head out of range", [](Hostile&) { return uint16_t{200}; }, "outside a table"},
  };
  for (const Case& c : cases) {
    Hostile h;
    const Chain chain = h.Offer(c.build(h));
    EXPECT_NE(chain.error.find(c.reason), std::string::npos) << c.what << ": " << chain.error;
    EXPECT_TRUE(chain.segments.empty()) << c.what;
    EXPECT_TRUE(h.device->broken().empty()) << c.what;  // the queue goes on
  }
  Hostile no_indirect({false, false});
  no_indirect.desc()[0] = {0x10000 + 4096, 16, kDescIndirect, 0};
  EXPECT_NE(no_indirect.Offer(0).error.find("not negotiated"), std::string::npos);
}

TEST(HostileChains, AnIndexThatJumpsBreaksTheQueue) {
  Hostile h;
  const uint16_t jump = 100;
  std::memcpy(h.mem.data() + 1024 + 2, &jump, 2);
  Chain c;
  EXPECT_FALSE(h.device->Pop(&c));
  EXPECT_NE(h.device->broken().find("ahead"), std::string::npos);
  EXPECT_FALSE(h.device->HasAvailable());
}

TEST(GuestMemory, TranslateStaysInsideOneRegion) {
  std::vector<uint8_t> a(4096), b(4096);
  GuestMemory m;
  m.AddBorrowed({0x1000, a.size(), 0x7000, a.data()});
  m.AddBorrowed({0x3000, b.size(), 0x9000, b.data()});
  EXPECT_EQ(m.Translate(0x1000, 4096), a.data());
  EXPECT_EQ(m.Translate(0x1ff0, 16), a.data() + 0xff0);
  EXPECT_EQ(m.Translate(0x1ff0, 17), nullptr);  // runs past the region
  EXPECT_EQ(m.Translate(0x2000, 1), nullptr);   // between regions
  EXPECT_EQ(m.Translate(0x3000, 0), b.data());
  EXPECT_EQ(m.Translate(~uint64_t{0}, 2), nullptr);
  EXPECT_EQ(m.TranslateUser(0x9004, 4), b.data() + 4);
}

// ---- virtio-blk ----

class BlkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "perfkit-blk-" + std::to_string(getpid()) + ".img";
    std::ofstream(path_) << std::string(1 << 20, '\0');
    auto blk = BlkBackend::Open(path_);
    ASSERT_TRUE(blk.ok()) << blk.status().message();
    blk_.emplace(std::move(*blk));
  }
  void TearDown() override {
    blk_.reset();
    unlink(path_.c_str());
  }
  // header | data... | status, as segments over test memory.
  uint8_t Request(uint32_t type, uint64_t sector, const std::vector<Segment>& data,
                  uint32_t* written) {
    struct {
      uint32_t type, reserved;
      uint64_t sector;
    } h{type, 0, sector};
    Chain c;
    c.segments.push_back({reinterpret_cast<uint8_t*>(&h), 16, false});
    for (const Segment& s : data) c.segments.push_back(s);
    uint8_t status = 0xff;
    c.segments.push_back({&status, 1, true});
    *written = blk_->Handle(c);
    return status;
  }
  std::string path_;
  std::optional<BlkBackend> blk_;
};

TEST_F(BlkTest, WriteThenReadBackThroughSplitAndMisalignedBuffers) {
  alignas(4096) static uint8_t out[8192], in[8192];
  for (size_t i = 0; i < sizeof out; ++i) out[i] = static_cast<uint8_t>(i * 7);
  uint32_t written = 0;
  // Two segments, the second not sector-aligned in memory: O_DIRECT needs a bounce.
  EXPECT_EQ(Request(kBlkOut, 8, {{out, 512, false}, {out + 512 + 3, 1024, false}}, &written),
            kBlkOk);
  EXPECT_EQ(written, 1u);
  EXPECT_EQ(Request(kBlkIn, 8, {{in, 1536, true}}, &written), kBlkOk);
  EXPECT_EQ(written, 1537u);  // data and status
  EXPECT_EQ(std::memcmp(in, out, 512), 0);
  EXPECT_EQ(std::memcmp(in + 512, out + 515, 1024), 0);
  EXPECT_EQ(Request(kBlkFlush, 0, {}, &written), kBlkOk);
  EXPECT_EQ(blk_->stats().reads, 1u);
  EXPECT_EQ(blk_->stats().writes, 1u);
}

TEST_F(BlkTest, OutOfRangeMisalignedAndUnknownRequestsFail) {
  alignas(4096) static uint8_t buf[4096];
  uint32_t written = 0;
  const uint64_t sectors = blk_->capacity_sectors();
  EXPECT_EQ(Request(kBlkIn, sectors, {{buf, 512, true}}, &written), kBlkIoErr);
  EXPECT_EQ(Request(kBlkIn, sectors - 1, {{buf, 1024, true}}, &written), kBlkIoErr);
  EXPECT_EQ(Request(kBlkIn, ~uint64_t{0}, {{buf, 512, true}}, &written), kBlkIoErr);
  EXPECT_EQ(Request(kBlkIn, 0, {{buf, 100, true}}, &written), kBlkIoErr);   // not whole sectors
  EXPECT_EQ(Request(kBlkIn, 0, {{buf, 512, false}}, &written), kBlkIoErr);  // read into read-only
  EXPECT_EQ(Request(77, 0, {}, &written), kBlkUnsupported);
  EXPECT_EQ(Request(kBlkGetId, 0, {{buf, 20, true}}, &written), kBlkOk);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf)), "perfkit-virtio-blk");
}

TEST_F(BlkTest, AHeaderSplitAcrossDescriptorsIsRead) {
  alignas(4096) static uint8_t buf[512];
  struct {
    uint32_t type, reserved;
    uint64_t sector;
  } h{kBlkIn, 0, 1};
  Chain c;
  c.segments.push_back({reinterpret_cast<uint8_t*>(&h), 5, false});
  c.segments.push_back({reinterpret_cast<uint8_t*>(&h) + 5, 11, false});
  c.segments.push_back({buf, 512, true});
  uint8_t status = 0xff;
  c.segments.push_back({&status, 1, true});
  EXPECT_EQ(blk_->Handle(c), 513u);
  EXPECT_EQ(status, kBlkOk);
}

TEST_F(BlkTest, MalformedChainsCompleteAsErrorsWhereTheyCan) {
  uint8_t status = 0xff;
  Chain c;
  c.error = "a loop";
  c.segments.push_back({&status, 1, true});
  EXPECT_EQ(blk_->Handle(c), 1u);
  EXPECT_EQ(status, kBlkIoErr);
  Chain no_status;
  no_status.segments.push_back({&status, 1, false});
  EXPECT_EQ(blk_->Handle(no_status), 0u);  // nowhere to write a status
  EXPECT_EQ(blk_->Handle(Chain{}), 0u);
}

TEST_F(BlkTest, ConfigSpaceHasCapacityAndSegMax) {
  const std::vector<uint8_t> c = blk_->Config(126, 1, 60);
  ASSERT_EQ(c.size(), 60u);
  uint64_t capacity;
  uint32_t seg_max, blk_size;
  uint16_t queues;
  std::memcpy(&capacity, &c[0], 8);
  std::memcpy(&seg_max, &c[12], 4);
  std::memcpy(&blk_size, &c[20], 4);
  std::memcpy(&queues, &c[34], 2);
  EXPECT_EQ(capacity, (1u << 20) / 512);
  EXPECT_EQ(seg_max, 126u);
  EXPECT_EQ(blk_size, 512u);
  EXPECT_EQ(queues, 1);
  EXPECT_EQ(blk_->Config(126, 1, 8).size(), 8u);
}

}  // namespace
}  // namespace perfkit::virtio
