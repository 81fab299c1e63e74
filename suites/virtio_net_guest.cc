// The virtio suite's network benchmarks: the guest's own virtio_net driver
// and perfkit-guest-net (which checks every byte that comes back) against
//   - perfkit's vhost-user-net device turning the frames around
//     (`serve-net --reflect`: no host stack, the device alone),
//   - perfkit's device forwarding to a TAP, and QEMU's built-in virtio-net
//     on the same kind of TAP, both answered by perfkit's endpoints on the
//     host (qemu/net_lab.h): UDP echo, TCP request/response, a TCP stream,
//   - QEMU's user-mode network (libslirp) to the same endpoints.
// Everything with a TAP or an endpoint runs in a network namespace made for
// the one guest boot (root only; elsewhere those configurations are
// skipped with the reason).
//
// As with the disks, one guest boot runs every test of a configuration and
// the harness's shuffled rounds interleave configurations.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "qemu/launcher.h"
#include "qemu/net_lab.h"
#include "subsystems/base/subprocess.h"
#include "suites/suite.h"
#include "suites/virtio_guest.h"

namespace perfkit::suites {
namespace {

constexpr double kNetGuestTimeout = 300;
constexpr const char* kGuestAddress = "192.0.2.2/24";  // documentation range
constexpr const char* kPeer = "192.0.2.1";

struct NetTest {
  const char* name;
  const char* kind;  // perfkit-guest-net's
  int payload;       // per datagram or request; per read for a stream
  bool needs_host;   // TCP needs a host stack: the reflector cannot answer it
};
constexpr NetTest kNetTests[] = {{"net-udp64", "udp", 64, false},
                                 {"net-udp1472", "udp", 1472, false},
                                 {"net-tcp-rr64", "tcprr", 64, true},
                                 {"net-tcp-stream", "tcpstream", 65536, true}};

enum class NetBackend { kReflect, kPerfkitTap, kQemuTap, kQemuUser };

struct NetConfigSpec {
  std::string name;
  NetBackend backend;
  int pairs;  // queue pairs, vCPUs and flows alike
  bool event_idx;
  Role role;
  bool OnHost() const { return backend != NetBackend::kReflect; }
};

// --quick boots the two devices on a TAP (or, with no namespace, the
// reflector) once per round: each boot costs ~9 s under TCG, and the quick
// suite must stay under 3 minutes.
std::vector<NetConfigSpec> NetConfigs(bool quick, bool host_lab) {
  std::vector<NetConfigSpec> all;
  if (!quick || !host_lab) {
    all.push_back({"perfkit-q1", NetBackend::kReflect, 1, true, Role::kOurs});
  }
  if (host_lab) {
    all.push_back({"perfkit-tap-q1", NetBackend::kPerfkitTap, 1, true, Role::kOurs});
    all.push_back({"qemu-tap-q1", NetBackend::kQemuTap, 1, true, Role::kPeer});
  }
  if (!quick) {
    all.push_back({"perfkit-q1-no-evidx", NetBackend::kReflect, 1, false, Role::kOurs});
    all.push_back({"perfkit-q4", NetBackend::kReflect, 4, true, Role::kOurs});
    all.push_back({"perfkit-q4-no-evidx", NetBackend::kReflect, 4, false, Role::kOurs});
    if (host_lab) {
      all.push_back({"qemu-user-q1", NetBackend::kQemuUser, 1, true, Role::kPeer});
      all.push_back({"perfkit-tap-q4", NetBackend::kPerfkitTap, 4, true, Role::kOurs});
      all.push_back({"qemu-tap-q4", NetBackend::kQemuTap, 4, true, Role::kPeer});
    }
  }
  return all;
}

// Why QEMU's TAP card runs without the kernel's vhost-net, or "".
std::string NoVhostNet(qemu::Accel accel) {
  if (accel != qemu::Accel::kKvm) return "vhost-net needs KVM";
  const int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::string("no usable /dev/vhost-net: ") + std::strerror(errno);
  close(fd);
  return "";
}

// Whether a namespace with a TAP can be made here, or why not: probed once.
const std::string& NoHostLab() {
  static const std::string why = [] {
    auto lab = qemu::NetLab::Create({});
    return lab.ok() ? std::string() : lab.status().message();
  }();
  return why;
}

double NetSeconds() { return QuickMode() ? 0.3 : 2; }

// Results of the last boot per configuration, taken one per benchmark.
std::map<std::string, std::map<std::string, qemu::NetResult>>& Pending() {
  static std::map<std::string, std::map<std::string, qemu::NetResult>> pending;
  return pending;
}

Result<std::unique_ptr<Process>> StartServeNet(const GuestLab& lab, const std::string& socket,
                                               const NetConfigSpec& c, const qemu::NetLab* net) {
  SpawnOptions spawn;
  spawn.argv = {
      lab.perfkit, "virtio", "serve-net", "--socket", socket, "--queues", std::to_string(c.pairs)};
  if (net != nullptr) {
    spawn.argv.insert(spawn.argv.end(), {"--tap", net->options().tap});
    spawn.netns_fd = net->netns_fd();
  } else {
    spawn.argv.push_back("--reflect");
  }
  if (!c.event_idx) spawn.argv.push_back("--no-event-idx");
  return StartListening(spawn);
}

Status RunNetConfig(const GuestLab& lab, const NetConfigSpec& c) {
  const std::string socket =
      (std::filesystem::temp_directory_path() / fmt::format("perfkit-vn-{}.sock", getpid()))
          .string();
  std::unique_ptr<qemu::NetLab> net;
  if (c.OnHost()) {
    auto made = qemu::NetLab::Create({"pk0", kPeer, c.pairs > 1});
    if (!made.ok()) return made.status().WithPrefix(c.name + ": ");
    net = std::move(*made);
  }
  std::unique_ptr<Process> server;
  if (c.backend == NetBackend::kReflect || c.backend == NetBackend::kPerfkitTap) {
    auto started = StartServeNet(lab, socket, c, net.get());
    if (!started.ok()) return started.status();
    server = std::move(*started);
  }
  qemu::GuestConfig g;
  g.qemu = lab.qemu;
  g.accel = lab.accel.accel;
  g.image = lab.image;
  g.smp = c.pairs;
  g.disk.kind = qemu::DiskKind::kNone;
  g.net.kind = qemu::NetKind::kVhostUser;
  g.net.socket = socket;
  g.net.queue_pairs = c.pairs;
  g.net.address = kGuestAddress;
  g.net.ping = kPeer;
  if (c.backend == NetBackend::kQemuTap) {
    g.net.kind = qemu::NetKind::kTap;
    g.net.tap = net->options().tap;
    g.net.vhost = NoVhostNet(lab.accel.accel).empty();
  } else if (c.backend == NetBackend::kQemuUser) {
    g.net.kind = qemu::NetKind::kUser;
  }
  g.netns_fd = net ? net->netns_fd() : -1;
  for (const NetTest& t : kNetTests) {
    if (t.needs_host && !c.OnHost()) continue;
    g.net.steps.push_back(
        fmt::format("{}:{}:{}:{}:{}", t.kind, t.name, t.payload, c.pairs, NetSeconds()));
  }
  auto run = qemu::RunGuest(SystemLauncher(), g, kNetGuestTimeout);
  if (server) {
    server->Signal(SIGTERM);
    (void)server->Wait(5);
    unlink(socket.c_str());
  }
  if (!run.ok()) return run.status().WithPrefix(c.name + ": ");
  if (run->report.net.rx_queues != c.pairs) {
    std::string log = run->log;
    if (log.size() > 600) log.erase(0, log.size() - 600);
    return Status::Error(
        fmt::format("{}: the guest's card has {} receive queues, not {}; its "
                    "console ended: {}",
                    c.name, run->report.net.rx_queues, c.pairs, log));
  }
  auto& pending = Pending()[c.name];
  pending.clear();
  for (const qemu::NetResult& r : run->report.net_tests) pending[r.name] = r;
  return OkStatus();
}

std::string BackendLabel(NetBackend backend, qemu::Accel accel) {
  switch (backend) {
    case NetBackend::kReflect:
      return "reflecting";
    case NetBackend::kPerfkitTap:
      return "TAP, host endpoint";
    case NetBackend::kQemuTap: {
      const std::string why = NoVhostNet(accel);
      return "TAP, host endpoint, " + (why.empty() ? "vhost-net" : "vhost off: " + why);
    }
    case NetBackend::kQemuUser:
      return "user-mode network, host endpoint";
  }
  return "";
}

void NetBenchmark(benchmark::State& state, const NetConfigSpec& c, const NetTest& test) {
  if (StopRequested()) return;
  const GuestLab lab = ProbedGuestLab();
  if (!lab.unavailable.empty()) {
    state.SkipWithError(lab.unavailable.c_str());
    return;
  }
  for (auto _ : state) {
    auto& pending = Pending()[c.name];
    if (pending.count(test.name) == 0) {
      if (Status s = RunNetConfig(lab, c); !s.ok()) {
        state.SkipWithError(s.message().c_str());
        return;
      }
    }
    auto it = Pending()[c.name].find(test.name);
    if (it == Pending()[c.name].end() || it->second.pps <= 0) {
      state.SkipWithError(("the guest gave no result for " + std::string(test.name)).c_str());
      return;
    }
    const qemu::NetResult r = it->second;
    Pending()[c.name].erase(it);
    if (r.bad > 0) {
      state.SkipWithError(fmt::format("{} {} came back wrong (the first: {})", r.bad,
                                      test.needs_host ? "responses or reads" : "datagrams",
                                      r.first_bad)
                              .c_str());
      return;
    }
    // Per datagram or request there and back; per read of a stream.
    state.SetIterationTime(1.0 / r.pps);
    state.counters["pps"] = r.pps;
    state.counters["mbps"] = r.mbps;
    state.counters["lost_windows"] = static_cast<double>(r.lost);
    if (r.interrupts >= 0 && r.packets > 0) {
      const auto packets = static_cast<double>(r.packets);
      state.counters["irqs_per_pkt"] = static_cast<double>(r.interrupts) / packets;
      if (r.kicks >= 0) {
        state.counters["kicks_per_pkt"] = static_cast<double>(r.kicks) / packets;
        state.counters["notify_per_pkt"] = static_cast<double>(r.interrupts + r.kicks) / packets;
      }
    }
    state.SetBytesProcessed(test.payload);
    state.SetItemsProcessed(1);
  }
  state.SetLabel(fmt::format("{}, {} vCPU{}, {}", qemu::AccelName(lab.accel.accel), c.pairs,
                             c.pairs == 1 ? "" : "s", BackendLabel(c.backend, lab.accel.accel)));
}

}  // namespace

void AddVirtioNetBenchmarks(SuiteSpec& suite) {
  if (const std::string why = GuestUnavailable(); !why.empty()) {
    suite.skipped.push_back("network guest: " + why);
    return;
  }
  const bool host_lab = NoHostLab().empty();
  if (!host_lab) {
    suite.skipped.push_back("network guest on a TAP or QEMU's user network: " + NoHostLab());
  }
  for (const NetConfigSpec& c : NetConfigs(QuickMode(), host_lab)) {
    for (const NetTest& t : kNetTests) {
      if (t.needs_host && !c.OnHost()) continue;
      suite.benchmarks.push_back(
          GuestResultBenchmark(fmt::format("virtio/{}/{}", t.name, c.name), c.role,
                               [c, t](benchmark::State& s) { NetBenchmark(s, c, t); }));
    }
  }
}

}  // namespace perfkit::suites
