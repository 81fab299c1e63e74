// A vhost-user front end written to break `perfkit virtio serve-blk` and
// `serve-net`, as a test client: memory tables past their file's end,
// memory shrunk under the device, kick descriptors that block or hang up, a
// message cut short, transmit chains no driver should send, a TAP deleted.
// The server must never die of a signal, spin, ignore SIGTERM or let a
// failed request touch the disk.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "subsystems/virtio/vhost_user_message.h"
#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

using namespace virtio;

constexpr uint64_t kUserBase = 0x7f0000000000;  // the front end's "virtual" addresses
constexpr uint16_t kQueue = 8;
constexpr size_t kMemory = 64 << 10;
// Where the ring and one write request live in the guest's memory.
constexpr uint64_t kDesc = 0, kAvail = 256, kUsed = 512;
constexpr uint64_t kHeader = 4096, kData = 8192, kStatus = 12288;

class FrontEnd {
 public:
  // Connects to the server at `socket`; `sealable` memfds let the server
  // seal them against shrinking, others cannot be sealed.
  FrontEnd(const std::string& socket, bool sealable) {
    memfd_ = memfd_create("guest", MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));
    EXPECT_EQ(ftruncate(memfd_, kMemory), 0);
    mem_ = static_cast<uint8_t*>(
        mmap(nullptr, kMemory, PROT_READ | PROT_WRITE, MAP_SHARED, memfd_, 0));
    sock_ = socket_fn();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(connect(sock_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ~FrontEnd() {
    if (sock_ >= 0) close(sock_);
    munmap(mem_, kMemory);
    close(memfd_);
  }

  void Send(uint32_t request, const void* payload, uint32_t size, int fd = -1,
            uint32_t claimed = 0) {
    const uint32_t header[3] = {request, kFlagVersion, claimed ? claimed : size};
    std::string bytes(reinterpret_cast<const char*>(header), sizeof header);
    bytes.append(static_cast<const char*>(payload), size);
    iovec iov{bytes.data(), bytes.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    EXPECT_EQ(sendmsg(sock_, &msg, MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  template <typename T>
  void Send(uint32_t request, const T& payload, int fd = -1) {
    Send(request, &payload, sizeof payload, fd);
  }

  // The memory table (one region of `region_bytes`) and ring `ring`.
  void SetUp(uint64_t region_bytes, uint32_t ring = 0) {
    Send(kSetOwner, nullptr, 0);
    const uint64_t features = uint64_t{1} << 32;  // VIRTIO_F_VERSION_1
    Send(kSetFeatures, features);
    struct {
      uint32_t count, padding;
      uint64_t guest_phys, size, user_addr, mmap_offset;
    } table{1, 0, 0, region_bytes, kUserBase, 0};
    Send(kSetMemTable, table, memfd_);
    Send(kSetVringNum, std::array<uint32_t, 2>{ring, kQueue});
    Send(kSetVringBase, std::array<uint32_t, 2>{ring, 0});
    struct {
      uint32_t index, flags;
      uint64_t desc, used, avail, log;
    } addr{ring, 0, kUserBase + kDesc, kUserBase + kUsed, kUserBase + kAvail, 0};
    Send(kSetVringAddr, addr);
    Send(kSetVringCall, uint64_t{ring | kVringNoFd});
  }

  struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
  };
  // Each of `heads` made available, one descriptor table for all.
  void QueueChains(const std::vector<Desc>& table, const std::vector<uint16_t>& heads) {
    std::memcpy(mem_ + kDesc, table.data(), table.size() * sizeof(Desc));
    std::vector<uint16_t> avail = {0, static_cast<uint16_t>(heads.size())};
    avail.insert(avail.end(), heads.begin(), heads.end());
    std::memcpy(mem_ + kAvail, avail.data(), avail.size() * sizeof(uint16_t));
  }
  uint8_t* at(uint64_t offset) { return mem_ + offset; }

  // One virtio-blk write of 512 bytes of 0xab to sector 0, made available.
  void QueueWrite() {
    const Desc chain[3] = {{kHeader, 16, 1, 1}, {kData, 512, 1, 2}, {kStatus, 1, 2, 0}};
    std::memcpy(mem_ + kDesc, chain, sizeof chain);
    const uint32_t header[4] = {1, 0, 0, 0};  // VIRTIO_BLK_T_OUT, sector 0
    std::memcpy(mem_ + kHeader, header, sizeof header);
    std::memset(mem_ + kData, 0xab, 512);
    const uint16_t avail[3] = {0, 1, 0};  // flags, idx, ring[0] = head 0
    std::memcpy(mem_ + kAvail, avail, sizeof avail);
  }

  int memfd() const { return memfd_; }
  void Close() {
    close(sock_);
    sock_ = -1;
  }

 private:
  static int socket_fn() { return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); }
  int memfd_ = -1;
  int sock_ = -1;
  uint8_t* mem_ = nullptr;
};

std::string MakeZeroDisk(const TempDir& dir) {
  std::string disk = dir.File("disk.img");
  std::ofstream(disk).close();
  EXPECT_EQ(truncate(disk.c_str(), 1 << 20), 0);
  return disk;
}

bool DiskIsZero(const std::string& disk) {
  std::ifstream in(disk, std::ios::binary);
  for (char c; in.get(c);) {
    if (c != 0) return false;
  }
  return true;
}

// User + system seconds the process has used.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i >= 14) ticks += std::stod(f);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The server ends by itself (the front end is gone) without a signal.
void ExpectCleanEnd(Process& server, const std::string& why) {
  auto exit = server.Wait(20);
  ASSERT_TRUE(exit.ok());
  EXPECT_FALSE(exit->timed_out) << why << ": still serving";
  EXPECT_EQ(exit->signal, 0) << why << ": " << exit->Describe() << "\n" << exit->err;
}

TEST(HostileFrontEnd, AMemoryTablePastTheEndOfItsFileIsRefused) {
  TempDir dir;
  const std::string disk = MakeZeroDisk(dir);
  auto server = ServeBlk(dir.File("s"), disk);
  ASSERT_NE(server, nullptr);
  {
    FrontEnd fe(dir.File("s"), /*sealable=*/true);
    fe.SetUp(16 * kMemory);  // the rings past the memfd's end, then a kick
    const int kick = eventfd(1, EFD_CLOEXEC);
    fe.Send(kSetVringKick, uint64_t{0}, kick);
    close(kick);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  auto exit = server->Wait(20);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->signal, 0) << exit->Describe();
  EXPECT_NE(exit->err.find("passes the end of its file"), std::string::npos) << exit->err;
  EXPECT_TRUE(DiskIsZero(disk));
}

// Shrunk after set-up: a sealable memfd gets sealed, so the front end
// cannot; one that cannot be sealed breaks the ring, not the server, and
// the write whose buffers went away never reaches the disk.
TEST(HostileFrontEnd, MemoryShrunkUnderTheDeviceBreaksTheRingNotTheServer) {
  for (const bool sealable : {true, false}) {
    TempDir dir;
    const std::string disk = MakeZeroDisk(dir);
    auto server = ServeBlk(dir.File("s"), disk);
    ASSERT_NE(server, nullptr);
    {
      FrontEnd fe(dir.File("s"), sealable);
      fe.SetUp(kMemory);
      const int kick = eventfd(0, EFD_CLOEXEC);
      fe.Send(kSetVringKick, uint64_t{0}, kick);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      fe.QueueWrite();  // made available, not yet kicked
      const bool shrunk = ftruncate(fe.memfd(), 0) == 0;
      EXPECT_EQ(shrunk, !sealable) << "sealable " << sealable;
      const uint64_t one = 1;
      EXPECT_EQ(write(kick, &one, sizeof one), 8);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      close(kick);
    }
    ExpectCleanEnd(*server, sealable ? "sealed" : "shrunk");
    if (!sealable) {
      EXPECT_TRUE(DiskIsZero(disk));
    }
  }
}

// Kick descriptors in every state a front end can leave them: the server
// neither blocks on one (SIGTERM still ends it) nor spins on one.
TEST(HostileFrontEnd, KickDescriptorsThatBlockOrHangUpNeitherHoldNorSpin) {
  enum Kind { kQuietEventfd, kQuietPipe, kClosedPipe };
  for (const Kind kind : {kQuietEventfd, kQuietPipe, kClosedPipe}) {
    TempDir dir;
    auto server = ServeBlk(dir.File("s"), MakeZeroDisk(dir));
    ASSERT_NE(server, nullptr);
    FrontEnd fe(dir.File("s"), true);
    fe.SetUp(kMemory);
    int fds[2] = {-1, -1};
    if (kind == kQuietEventfd) {
      fds[0] = eventfd(0, EFD_CLOEXEC);  // blocking, never written
    } else {
      ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
      if (kind == kClosedPipe) {
        close(fds[1]);
        fds[1] = -1;
      }
    }
    fe.Send(kSetVringKick, uint64_t{0}, fds[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const double before = CpuSeconds(server->pid());
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_LT(CpuSeconds(server->pid()) - before, 0.3) << "spinning, kick kind " << kind;
    server->Signal(SIGTERM);
    auto exit = server->Wait(10);
    ASSERT_TRUE(exit.ok());
    EXPECT_FALSE(exit->timed_out) << "deaf to SIGTERM, kick kind " << kind;
    EXPECT_EQ(exit->signal, 0) << exit->Describe();
    for (int fd : fds) {
      if (fd >= 0) close(fd);
    }
  }
}

TEST(HostileFrontEnd, AMessageCutShortDoesNotHoldTheServer) {
  TempDir dir;
  auto server = ServeBlk(dir.File("s"), MakeZeroDisk(dir));
  ASSERT_NE(server, nullptr);
  FrontEnd fe(dir.File("s"), true);
  const uint64_t half = 0;
  fe.Send(kSetFeatures, &half, 4, -1, /*claimed=*/8);  // 4 of the 8 bytes it announces
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server->Signal(SIGTERM);
  auto exit = server->Wait(10);
  ASSERT_TRUE(exit.ok());
  EXPECT_FALSE(exit->timed_out) << "deaf to SIGTERM inside a message";
  EXPECT_EQ(exit->signal, 0) << exit->Describe();
}

// The network device's transmit ring fed what no driver should send: a
// header asking for an offload never offered, a chain shorter than its
// header, a frame too short to be Ethernet, a descriptor outside the
// guest's memory and a writable one. Each is refused and counted; the device
// reflects nothing, and ends cleanly when the front end leaves.
TEST(HostileFrontEnd, BadTransmitChainsAreRefusedByTheNetworkDevice) {
  TempDir dir;
  auto server = ServeVirtio({"serve-net", "--socket", dir.File("s"), "--reflect"});
  ASSERT_NE(server, nullptr);
  {
    FrontEnd fe(dir.File("s"), true);
    fe.SetUp(kMemory, /*ring=*/1);
    uint8_t* gso = fe.at(kHeader);
    std::memset(gso, 0, 12);
    gso[1] = 1;  // VIRTIO_NET_HDR_GSO_TCPV4
    std::memset(fe.at(kData), 0, 12);
    const std::vector<FrontEnd::Desc> table = {
        {kHeader, 12, 1, 1},     {kData + 64, 60, 0, 0},  // 0: an offload asked for
        {kData, 8, 0, 0},                                 // 2: shorter than a header
        {kData, 12, 1, 4},       {kData + 64, 6, 0, 0},   // 3: a 6-byte "frame"
        {kMemory * 4, 64, 0, 0},                          // 5: outside the memory
        {kData, 12, 1, 7},       {kData + 64, 60, 2, 0},  // 6: a writable buffer
    };
    fe.QueueChains(table, {0, 2, 3, 5, 6});
    const int kick = eventfd(1, EFD_CLOEXEC);
    fe.Send(kSetVringKick, uint64_t{1}, kick);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    close(kick);
  }
  auto exit = server->Wait(20);
  ASSERT_TRUE(exit.ok());
  EXPECT_FALSE(exit->timed_out);
  EXPECT_EQ(exit->signal, 0) << exit->Describe();
  EXPECT_NE(exit->err.find("5 malformed chains"), std::string::npos) << exit->err;
  EXPECT_NE(exit->err.find("sent 0 frames"), std::string::npos) << exit->err;
  for (const char* why :
       {"not negotiated", "shorter than its header", "frame of 6 bytes", "writable"}) {
    EXPECT_NE(exit->err.find(why), std::string::npos) << why << "\n" << exit->err;
  }
}

// Threads of a process, from /proc.
size_t ThreadsOf(pid_t pid) {
  std::error_code ec;
  const std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", ec);
  return ec ? 0 : static_cast<size_t>(std::distance(tasks, std::filesystem::directory_iterator()));
}

// serve-net can give each queue pair a thread of its own beside the one
// that reads the front end's messages (by default only where there are
// twice as many CPUs), or share fewer threads among the pairs; either way
// the last pair's thread serves its transmit ring (ring 7 of four pairs).
TEST(HostileFrontEnd, QueuePairsAreServedByThreadsOfTheirOwn) {
  for (const size_t workers : {4, 2}) {
    TempDir dir;
    auto server = ServeVirtio({"serve-net", "--socket", dir.File("s"), "--reflect", "--queues", "4",
                               "--threads", std::to_string(workers)});
    ASSERT_NE(server, nullptr);
    {
      FrontEnd fe(dir.File("s"), true);
      fe.SetUp(kMemory, /*ring=*/7);
      fe.QueueChains({{kData, 8, 0, 0}}, {0});  // shorter than a header
      const int kick = eventfd(1, EFD_CLOEXEC);
      fe.Send(kSetVringKick, uint64_t{7}, kick);
      size_t threads = 0;
      for (int i = 0; i < 250 && threads != workers + 1; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        threads = ThreadsOf(server->pid());
      }
      EXPECT_EQ(threads, workers + 1) << "one for the messages and the pairs' own";
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      close(kick);
    }
    auto exit = server->Wait(20);
    ASSERT_TRUE(exit.ok());
    EXPECT_FALSE(exit->timed_out);
    EXPECT_EQ(exit->signal, 0) << exit->Describe();
    EXPECT_NE(exit->err.find("ring 7: "), std::string::npos) << exit->err;
    EXPECT_NE(exit->err.find("1 malformed chains"), std::string::npos) << exit->err;
  }
}

// Under vhost-user the network card's control queue is QEMU's: a front
// end that hands the back end a ring past its queue pairs' (ring 2 with one
// pair, where the control queue would be) is refused and disconnected, and
// the device ends cleanly, having served nothing.
TEST(HostileFrontEnd, AControlQueueHandedToTheNetworkDeviceIsRefused) {
  TempDir dir;
  auto server = ServeVirtio({"serve-net", "--socket", dir.File("s"), "--reflect"});
  ASSERT_NE(server, nullptr);
  {
    FrontEnd fe(dir.File("s"), true);
    fe.SetUp(kMemory, /*ring=*/2);
  }
  auto exit = server->Wait(20);
  ASSERT_TRUE(exit.ok());
  EXPECT_FALSE(exit->timed_out);
  EXPECT_EQ(exit->signal, 0) << exit->Describe();
  EXPECT_NE(exit->err.find("ring 2"), std::string::npos) << exit->err;
  EXPECT_NE(exit->err.find("sent 0 frames"), std::string::npos) << exit->err;
}

// A TAP deleted under the device while a front end is connected: the
// device says so once, stops reading it, does not spin on its error, and
// still ends on SIGTERM. The TAP lives in a network namespace of its own.
TEST(HostileFrontEnd, ATapThatDisappearsIsDroppedWithoutSpinning) {
  auto probe = RunCommand({"unshare", "--net", "ip", "tuntap", "add", "dev", "pk0", "mode", "tap"});
  if (probe.exit_code != 0) GTEST_SKIP() << "no network namespace with a TAP here: " << probe.err;
  TempDir dir;
  const std::string socket = dir.File("s");
  SpawnOptions spawn;
  // unshare and sh exec what follows, so the pid is the device's.
  spawn.argv = {"unshare", "--net", "sh", "-c",
                "ip tuntap add dev pk0 mode tap && ip link set pk0 up && exec '" + PerfkitBinary() +
                    "' virtio serve-net --socket '" + socket + "' --tap pk0"};
  spawn.err = Redirect::kCapture;
  auto server = SystemLauncher().Spawn(spawn);
  ASSERT_TRUE(server.ok()) << server.status().message();
  for (int i = 0; i < 100 && access(socket.c_str(), F_OK) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FrontEnd fe(socket, true);
  fe.SetUp(kMemory, /*ring=*/0);
  const int kick = eventfd(0, EFD_CLOEXEC);
  fe.Send(kSetVringKick, uint64_t{0}, kick);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string ns = "--net=/proc/" + std::to_string((*server)->pid()) + "/ns/net";
  auto del = RunCommand({"nsenter", ns, "ip", "link", "del", "pk0"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double before = CpuSeconds((*server)->pid());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_LT(CpuSeconds((*server)->pid()) - before, 0.3) << "spinning on a deleted TAP";
  (*server)->Signal(SIGTERM);
  auto exit = (*server)->Wait(10);
  close(kick);
  ASSERT_TRUE(exit.ok());
  EXPECT_FALSE(exit->timed_out) << "deaf to SIGTERM";
  EXPECT_EQ(exit->signal, 0) << exit->Describe();
  EXPECT_NE(exit->err.find("TAP queue 0: "), std::string::npos) << exit->err;
  EXPECT_NE(exit->err.find("no longer read"), std::string::npos) << exit->err;
}

}  // namespace
}  // namespace perfkit::testing
