// Runs the guest perfkit's virtio suite measures: QEMU's argv built from a
// config (no shell), a hard timeout, the serial console read back and
// parsed, and only the processes started here ended, by pid. The guest is
// Debian's cloud kernel with an initramfs of busybox, the virtio modules,
// perfkit-guest-io and init.sh (qemu/make_guest.sh).
//
// It lives in qemu/ beside the guest it drives rather than in
// subsystems/virtio: the subsystem is the device, this is the laboratory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/base/subprocess.h"

namespace perfkit::qemu {

enum class Accel { kKvm, kTcg };
const char* AccelName(Accel accel);

struct GuestImage {
  std::string kernel;   // vmlinuz
  std::string initrd;   // initrd.img
  std::string release;  // the kernel's release, "6.1.0-57-cloud-amd64"
};

// The image in `dir` (vmlinuz, release, initrd.img), or why there is none.
Result<GuestImage> FindGuestImage(const std::string& dir);

enum class DiskKind { kNone, kBuiltin, kVhostUser };

struct DiskConfig {
  DiskKind kind = DiskKind::kBuiltin;
  std::string file;    // kBuiltin: the backing file
  std::string socket;  // kVhostUser: the back end's socket
  int queue_size = 128;
  int queues = 1;         // num-queues: blk-mq maps them over the vCPUs
  bool iothread = false;  // kBuiltin: its own I/O thread
  bool direct = true;     // kBuiltin: O_DIRECT on the file (cache.direct)
};

// The card's back end: a vhost-user server (perfkit's), QEMU's own
// virtio-net on a TAP, or QEMU's user-mode network (libslirp).
enum class NetKind { kNone, kVhostUser, kTap, kUser };

// A virtio network card and what the guest does with it.
struct NetConfig {
  NetKind kind = NetKind::kNone;
  std::string socket;  // kVhostUser: the back end's socket
  int queue_pairs = 1;
  std::string address;  // the guest's, "192.0.2.2/24"
  // The peer: pinged three times, then measured against; for kUser also
  // QEMU's host address, which it forwards to the host's 127.0.0.1.
  std::string ping;
  std::vector<std::string> steps;  // perfkit-guest-net's, "KIND:NAME:PAYLOAD:FLOWS:SECONDS"
  std::string tap;                 // kTap: the TAP's name
  bool vhost = false;              // kTap: the kernel's vhost-net does the queues
};

struct GuestConfig {
  std::string qemu = "qemu-system-x86_64";
  Accel accel = Accel::kTcg;
  int smp = 1;
  int memory_mib = 512;
  GuestImage image;
  DiskConfig disk;
  NetConfig net;
  std::vector<std::string> steps;  // perfkit-guest-io steps, e.g. "test:rr:randread:4096:1:2"
  bool smoke = false;              // boot, say PERFKIT-UP, power off (no disk needed)
  int netns_fd = -1;               // QEMU runs in this network namespace (a NetLab's)
};

std::vector<std::string> BuildArgv(const GuestConfig& config);

// What the guest saw of its disk: the proof a knob reached it.
struct DiskView {
  int nr_requests = 0;
  int max_segments = 0;
  int hw_queues = 0;
  int tags = 0;          // the hardware queue's depth
  std::string features;  // the negotiated feature bits, bit 0 first
  bool Feature(int bit) const {
    return bit < static_cast<int>(features.size()) && features[static_cast<size_t>(bit)] == '1';
  }
};

struct TestResult {
  std::string name, op;
  int64_t block_bytes = 0;
  int depth = 0;
  uint64_t ops = 0;
  double seconds = 0, iops = 0, mbps = 0;
  double p50_us = 0, p99_us = 0;
  int64_t interrupts = -1;  // virtio request interrupts during the test; -1 unknown
};

struct VerifyResult {
  bool fill = false;  // false: a verify
  uint64_t first = 0, sectors = 0, bad = 0, first_bad = 0;
};

// What the guest saw of its network card, and its pings' replies.
struct NetView {
  bool up = false;
  int rx_queues = 0;
  std::string features;  // negotiated, bit 0 first
  int pings_sent = 0, pings_received = 0;
};

// One perfkit-guest-net step: datagrams that came back intact per second.
struct NetResult {
  std::string name;
  int payload = 0, flows = 0;
  double seconds = 0, pps = 0, mbps = 0;
  uint64_t packets = 0, bad = 0, lost = 0;
  int64_t interrupts = -1;  // the guest's virtio interrupts meanwhile; -1 unknown
  int64_t kicks = -1;       // its driver's notifications to the device; -1 unknown
  std::string first_bad;    // what was wrong with the first bad one, if any
};

struct GuestReport {
  std::string kernel;
  DiskView disk;
  NetView net;
  std::vector<NetResult> net_tests;
  std::vector<TestResult> tests;
  std::vector<VerifyResult> verifies;
};

// The PERFKIT- lines of a serial console log. Fails, naming the guest's own
// error or the log's last lines, when the guest did not reach PERFKIT-DONE
// (or PERFKIT-UP for a smoke boot) or reported PERFKIT-ERROR.
Result<GuestReport> ParseSerialLog(std::string_view log, bool smoke = false);

struct GuestRun {
  GuestReport report;
  double wall_seconds = 0;
  std::string log;
};

Result<GuestRun> RunGuest(Launcher& launcher, const GuestConfig& config, double timeout_s);

// KVM when /dev/kvm can be opened and a smoke boot reaches the guest's init
// within `timeout_s`; otherwise TCG, with the reason. PERFKIT_QEMU_ACCEL
// (kvm or tcg) decides without probing.
struct AccelChoice {
  Accel accel = Accel::kTcg;
  std::string reason;
};
AccelChoice ChooseAccel(Launcher& launcher, const GuestConfig& base, double timeout_s = 8,
                        const std::string& kvm_device = "/dev/kvm");

// "7.2.22", from `qemu --version`; empty when it cannot run.
std::string QemuVersion(Launcher& launcher, const std::string& qemu);

}  // namespace perfkit::qemu
