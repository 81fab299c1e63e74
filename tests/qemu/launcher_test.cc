// QEMU's argv built from a config, and serial console logs parsed: canned
// logs of a good run, a guest error, a kernel that died, a smoke boot, and
// a KVM whose guests hang.
#include "qemu/launcher.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

namespace perfkit::qemu {
namespace {

bool Has(const std::vector<std::string>& argv, const std::string& a, const std::string& b) {
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == a && argv[i + 1] == b) return true;
  }
  return false;
}

GuestConfig Base() {
  GuestConfig c;
  c.image = {"/g/vmlinuz", "/g/initrd.img", "6.1.0-57-cloud-amd64"};
  c.steps = {"test:rr:randread:4096:1:2", "verify:0:8:7"};
  return c;
}

TEST(BuildArgv, BuiltinDeviceWithIothread) {
  GuestConfig c = Base();
  c.disk.file = "/var/tmp/disk.img";
  c.disk.queue_size = 16;
  c.disk.iothread = true;
  const auto argv = BuildArgv(c);
  EXPECT_EQ(argv[0], "qemu-system-x86_64");
  EXPECT_TRUE(Has(argv, "-accel", "tcg"));
  EXPECT_TRUE(Has(argv, "-cpu", "max"));
  EXPECT_TRUE(Has(argv, "-object", "iothread,id=io0"));
  EXPECT_TRUE(Has(argv, "-blockdev",
                  "driver=file,node-name=disk0,filename=/var/tmp/disk.img,cache.direct=on"));
  EXPECT_TRUE(
      Has(argv, "-device", "virtio-blk-pci,drive=disk0,num-queues=1,queue-size=16,iothread=io0"));
  EXPECT_TRUE(
      Has(argv, "-append",
          "console=ttyS0 quiet panic=-1 perfkit.run=test:rr:randread:4096:1:2,verify:0:8:7"));
  EXPECT_TRUE(Has(argv, "-object", "memory-backend-memfd,id=mem,size=512M,share=on"));
}

TEST(BuildArgv, VhostUserUnderKvm) {
  GuestConfig c = Base();
  c.accel = Accel::kKvm;
  c.disk.kind = DiskKind::kVhostUser;
  c.disk.socket = "/tmp/vu.sock";
  const auto argv = BuildArgv(c);
  EXPECT_TRUE(Has(argv, "-accel", "kvm"));
  EXPECT_TRUE(Has(argv, "-cpu", "host"));
  EXPECT_TRUE(Has(argv, "-chardev", "socket,id=vu0,path=/tmp/vu.sock"));
  EXPECT_TRUE(Has(argv, "-device", "vhost-user-blk-pci,chardev=vu0,num-queues=1,queue-size=128"));
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "-blockdev"), 0);
}

TEST(BuildArgv, SmokeBootHasNoDisk) {
  GuestConfig c = Base();
  c.smoke = true;
  const auto argv = BuildArgv(c);
  EXPECT_TRUE(Has(argv, "-append", "console=ttyS0 quiet panic=-1 perfkit.smoke=1"));
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "-device"), 0);
}

constexpr char kGoodLog[] =
    "SeaBIOS (version 1.16.2)\r\n"
    "PERFKIT-UP kernel=6.1.0-57-cloud-amd64\r\n"
    "PERFKIT-DISK nr_requests=256 max_segments=126 hw_queues=1 tags=128 "
    "features=0010001001000000000000000000110010000000000000000000000000000000\r\n"
    "PERFKIT-RESULT name=rr op=randread bs=4096 qd=1 ops=7072 seconds=2.0003 iops=3535.5 "
    "mbps=14.48 p50_us=265 p99_us=913 irqs=7072\r\n"
    "PERFKIT-VERIFY first=0 sectors=8 bad=0 first_bad=0\r\n"
    "PERFKIT-DONE\r\n"
    "[    3.348337] reboot: Power down\r\n";

TEST(ParseSerialLog, AGoodRun) {
  auto r = ParseSerialLog(kGoodLog);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kernel, "6.1.0-57-cloud-amd64");
  EXPECT_EQ(r->disk.tags, 128);
  EXPECT_EQ(r->disk.max_segments, 126);
  EXPECT_TRUE(r->disk.Feature(29));  // EVENT_IDX
  EXPECT_TRUE(r->disk.Feature(28));  // INDIRECT_DESC
  EXPECT_FALSE(r->disk.Feature(24));
  EXPECT_FALSE(r->disk.Feature(200));
  ASSERT_EQ(r->tests.size(), 1u);
  EXPECT_EQ(r->tests[0].name, "rr");
  EXPECT_EQ(r->tests[0].depth, 1);
  EXPECT_EQ(r->tests[0].ops, 7072u);
  EXPECT_DOUBLE_EQ(r->tests[0].iops, 3535.5);
  EXPECT_DOUBLE_EQ(r->tests[0].p99_us, 913);
  EXPECT_EQ(r->tests[0].interrupts, 7072);
  ASSERT_EQ(r->verifies.size(), 1u);
  EXPECT_EQ(r->verifies[0].bad, 0u);
}

// A guest with only a network card of `kind`, at 192.0.2.2 with its peer at .1.
GuestConfig NetworkGuest(NetKind kind) {
  GuestConfig c = Base();
  c.steps.clear();
  c.disk.kind = DiskKind::kNone;
  c.net.kind = kind;
  c.net.address = "192.0.2.2/24";
  c.net.ping = "192.0.2.1";
  return c;
}

// A network card behind vhost-user: INTx under TCG (QEMU 7.2 crashes
// starting vhost with MSI-X vectors and no KVM irqfd), MSI-X under KVM; the
// guest's address, peer and measurements on its command line.
TEST(BuildArgv, VhostUserNetworkCard) {
  GuestConfig c = NetworkGuest(NetKind::kVhostUser);
  c.net.socket = "/tmp/vn.sock";
  c.net.queue_pairs = 4;
  c.net.steps = {"udp:u64:64:4:2"};
  auto argv = BuildArgv(c);
  EXPECT_TRUE(Has(argv, "-netdev", "vhost-user,id=net0,chardev=vn0,queues=4"));
  EXPECT_TRUE(Has(argv, "-device", "virtio-net-pci,netdev=net0,mq=on,vectors=0"));
  EXPECT_TRUE(Has(argv, "-append",
                  "console=ttyS0 quiet panic=-1 perfkit.net=192.0.2.2/24 perfkit.ping=192.0.2.1 "
                  "perfkit.netrun=udp:u64:64:4:2"));
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "-blockdev"), 0);
  c.accel = Accel::kKvm;
  argv = BuildArgv(c);
  EXPECT_TRUE(Has(argv, "-device", "virtio-net-pci,netdev=net0,mq=on,vectors=10"));
}

// QEMU's own virtio-net on a TAP (no helper scripts: perfkit made the TAP)
// and on its user-mode network, whose host address is the guest's peer.
TEST(BuildArgv, BuiltinNetworkCards) {
  GuestConfig c = NetworkGuest(NetKind::kTap);
  c.net.tap = "pk0";
  auto argv = BuildArgv(c);
  EXPECT_TRUE(
      Has(argv, "-netdev", "tap,id=net0,ifname=pk0,script=no,downscript=no,vhost=off,queues=1"));
  EXPECT_TRUE(Has(argv, "-device", "virtio-net-pci,netdev=net0,mq=on,vectors=0"));
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "-chardev"), 0);
  c.net.kind = NetKind::kUser;
  argv = BuildArgv(c);
  EXPECT_TRUE(Has(argv, "-netdev", "user,id=net0,net=192.0.2.0/24,host=192.0.2.1"));
}

TEST(ParseSerialLog, TheNetworkCardAndItsMeasurements) {
  auto r = ParseSerialLog(
      "PERFKIT-UP kernel=6.1.0-57-cloud-amd64\n"
      "PERFKIT-NET address=192.0.2.2/24 rx_queues=2 features=0010010000000001\n"
      "PERFKIT-PING 3 packets transmitted, 2 packets received, 33% packet loss\n"
      "PERFKIT-NETRESULT name=u64 payload=64 flows=2 seconds=2.020 packets=8636 pps=4274.4 "
      "mbps=2.19 bad=0 lost=1 irqs=7945 kicks=311\n"
      "PERFKIT-NETBAD name=u1472 flow=1 bytes=1472 want=1472 its_flow=1 seq=9 "
      "first_wrong_byte=700\n"
      "PERFKIT-NETRESULT name=u1472 payload=1472 flows=2 seconds=2 packets=10 pps=5 mbps=1 "
      "bad=1 lost=0 irqs=3 kicks=2\n"
      "PERFKIT-DONE\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->net.up);
  EXPECT_EQ(r->net.rx_queues, 2);  // a NETRESULT line is not a NET line
  EXPECT_EQ(r->net.pings_sent, 3);
  EXPECT_EQ(r->net.pings_received, 2);
  ASSERT_EQ(r->net_tests.size(), 2u);
  EXPECT_EQ(r->net_tests[0].name, "u64");
  EXPECT_EQ(r->net_tests[0].first_bad, "");
  EXPECT_EQ(r->net_tests[1].bad, 1u);
  EXPECT_NE(r->net_tests[1].first_bad.find("first_wrong_byte=700"), std::string::npos);
  EXPECT_EQ(r->net_tests[0].flows, 2);
  EXPECT_EQ(r->net_tests[0].packets, 8636u);
  EXPECT_DOUBLE_EQ(r->net_tests[0].pps, 4274.4);
  EXPECT_EQ(r->net_tests[0].lost, 1u);
  EXPECT_EQ(r->net_tests[0].interrupts, 7945);
  EXPECT_EQ(r->net_tests[0].kicks, 311);
}

TEST(ParseSerialLog, TheGuestsOwnErrorIsTheMessage) {
  auto r = ParseSerialLog(
      "PERFKIT-UP kernel=x\nPERFKIT-ERROR rr: io_submit: Invalid argument\nPERFKIT-DONE\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "the guest reported: rr: io_submit: Invalid argument");
}

TEST(ParseSerialLog, AKernelThatDiedShowsTheConsolesEnd) {
  auto r = ParseSerialLog(
      "PERFKIT-UP kernel=x\n[ 1.0] virtio_blk: probe failed\n[ 1.1] Kernel panic - not syncing\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("stopped before finishing"), std::string::npos);
  EXPECT_NE(r.status().message().find("Kernel panic"), std::string::npos);
  auto never = ParseSerialLog("SeaBIOS\nBooting from ROM...\n");
  ASSERT_FALSE(never.ok());
  EXPECT_NE(never.status().message().find("never reached its init"), std::string::npos);
}

TEST(ParseSerialLog, ASmokeBootNeedsOnlyItsInit) {
  EXPECT_TRUE(ParseSerialLog("PERFKIT-UP kernel=x\n", /*smoke=*/true).ok());
  EXPECT_FALSE(ParseSerialLog("PERFKIT-UP kernel=x\n", /*smoke=*/false).ok());
}

TEST(ChooseAccel, TheEnvironmentDecidesWithoutAProbe) {
  setenv("PERFKIT_QEMU_ACCEL", "tcg", 1);
  const AccelChoice tcg = ChooseAccel(SystemLauncher(), Base());
  EXPECT_EQ(tcg.accel, Accel::kTcg);
  setenv("PERFKIT_QEMU_ACCEL", "kvm", 1);
  EXPECT_EQ(ChooseAccel(SystemLauncher(), Base()).accel, Accel::kKvm);
  unsetenv("PERFKIT_QEMU_ACCEL");
}

// A QEMU that ends as `exit` says, without running anything.
class CannedLauncher : public Launcher {
 public:
  explicit CannedLauncher(ExitInfo exit) : exit_(std::move(exit)) {}
  Result<std::unique_ptr<Process>> Spawn(const SpawnOptions&) override {
    class Done : public Process {
     public:
      explicit Done(ExitInfo e) : e_(std::move(e)) {}
      pid_t pid() const override { return 1; }
      Status Release() override { return OkStatus(); }
      Result<std::optional<ExitInfo>> Poll() override { return std::optional<ExitInfo>(e_); }
      Result<ExitInfo> Wait(double) override { return e_; }
      void Signal(int) override {}

     private:
      ExitInfo e_;
    };
    return std::unique_ptr<Process>(new Done(exit_));
  }

 private:
  ExitInfo exit_;
};

TEST(ParseSerialLog, AnEmptyConsoleIsAReasonNotACrash) {
  auto r = ParseSerialLog("");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("never reached its init"), std::string::npos);
  EXPECT_FALSE(ParseSerialLog("\n", /*smoke=*/true).ok());
  EXPECT_FALSE(ParseSerialLog("\n\n\n").ok());
}

// A /dev/kvm whose guests hang (kvm_pvm): the smoke boot times out with
// nothing, or only the firmware, on the console. TCG, and why.
TEST(ChooseAccel, AKvmGuestThatHangsFallsBackToTcgWithTheReason) {
  unsetenv("PERFKIT_QEMU_ACCEL");
  // A name of its own: a fixed one in /tmp could be someone else's file.
  std::string device = ::testing::TempDir() + "/perfkit-fake-kvm-XXXXXX";
  const int fd = mkstemp(device.data());
  ASSERT_GE(fd, 0) << device;
  close(fd);
  struct Case {
    std::string out;
    bool timed_out;
    int exit_code;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"", true, 137, "the KVM guest printed nothing in 8 s"},
           {"\r\n", true, 137, "the KVM guest printed nothing in 8 s"},
           {"SeaBIOS (version 1.16.2)\nBooting from ROM..\n", true, 137,
            "the KVM guest did not reach its init in 8 s"},
           {"", false, 1, "QEMU under KVM exited with status 1"},
           {"[ 0.1] Kernel panic\n", false, 0, "KVM did not boot the guest: the guest never"},
       }) {
    ExitInfo exit;
    exit.out = c.out;
    exit.timed_out = c.timed_out;
    exit.exit_code = c.exit_code;
    CannedLauncher launcher(exit);
    const AccelChoice choice = ChooseAccel(launcher, Base(), 8, device);
    EXPECT_EQ(choice.accel, Accel::kTcg) << c.out;
    EXPECT_NE(choice.reason.find(c.reason), std::string::npos) << choice.reason;
  }
  ExitInfo up;
  up.out = "PERFKIT-UP kernel=x\n";
  CannedLauncher booted(up);
  EXPECT_EQ(ChooseAccel(booted, Base(), 8, device).accel, Accel::kKvm);
  EXPECT_EQ(ChooseAccel(booted, Base(), 8, "/nonexistent/kvm").reason,
            "no usable /nonexistent/kvm");
  std::remove(device.c_str());
}

TEST(FindGuestImage, SaysWhereTheKernelComesFrom) {
  auto image = FindGuestImage("/nonexistent");
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.status().message().find("scripts/setup.sh"), std::string::npos);
}

}  // namespace
}  // namespace perfkit::qemu
