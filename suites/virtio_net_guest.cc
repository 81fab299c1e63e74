// The virtio suite's network benchmarks: perfkit's vhost-user-net device
// (`perfkit virtio serve-net --reflect`) behind QEMU's vhost-user network
// back end, with the guest's own virtio_net driver sending UDP datagrams
// that the device turns around (perfkit-guest-net checks every byte that
// comes back). One queue pair with one vCPU and one flow; in the full run
// also without EVENT_IDX, and four queue pairs with four vCPUs and flows.
//
// As with the disks, one guest boot runs both payloads of a configuration
// and the harness's shuffled rounds interleave configurations. No TAP and
// no host address is involved: the reflector answers ARP for the peer.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "qemu/launcher.h"
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
  int payload;
};
constexpr NetTest kNetTests[] = {{"net-udp64", 64}, {"net-udp1472", 1472}};

struct NetConfigSpec {
  std::string name;
  int pairs;  // queue pairs, vCPUs and flows alike
  bool event_idx;
  Role role;
};

// --quick boots one configuration per round (each boot costs ~9 s under
// TCG, and the quick suite must stay under 3 minutes).
std::vector<NetConfigSpec> NetConfigs(bool quick) {
  std::vector<NetConfigSpec> all = {{"perfkit-q1", 1, true, Role::kOurs}};
  if (!quick) {
    all.push_back({"perfkit-q1-no-evidx", 1, false, Role::kOurs});
    all.push_back({"perfkit-q4", 4, true, Role::kOurs});
  }
  return all;
}

double NetSeconds() { return QuickMode() ? 0.5 : 2; }

// Results of the last boot per configuration, taken one per benchmark.
std::map<std::string, std::map<std::string, qemu::NetResult>>& Pending() {
  static std::map<std::string, std::map<std::string, qemu::NetResult>> pending;
  return pending;
}

Result<std::unique_ptr<Process>> StartServeNet(const GuestLab& lab, const std::string& socket,
                                               const NetConfigSpec& c) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return Status::Error("pipe failed");
  SpawnOptions spawn;
  spawn.argv = {lab.perfkit,  "virtio",
                "serve-net",  "--socket",
                socket,       "--reflect",
                "--queues",   std::to_string(c.pairs),
                "--ready-fd", std::to_string(ready[1])};
  if (!c.event_idx) spawn.argv.push_back("--no-event-idx");
  spawn.keep_fds = {ready[1]};
  spawn.out = Redirect::kNull;
  spawn.err = Redirect::kNull;
  auto p = SystemLauncher().Spawn(spawn);
  close(ready[1]);
  if (!p.ok()) {
    close(ready[0]);
    return p.status();
  }
  pollfd pfd{ready[0], POLLIN, 0};
  char line[8] = {};
  const bool ok = poll(&pfd, 1, 10000) == 1 && read(ready[0], line, sizeof line) > 0;
  close(ready[0]);
  if (!ok) {
    (*p)->Signal(SIGTERM);
    (void)(*p)->Wait(5);
    return Status::Error("perfkit virtio serve-net did not start listening");
  }
  return std::move(*p);
}

Status RunNetConfig(const GuestLab& lab, const NetConfigSpec& c) {
  const std::string socket =
      (std::filesystem::temp_directory_path() / fmt::format("perfkit-vn-{}.sock", getpid()))
          .string();
  auto server = StartServeNet(lab, socket, c);
  if (!server.ok()) return server.status();
  qemu::GuestConfig g;
  g.qemu = lab.qemu;
  g.accel = lab.accel.accel;
  g.image = lab.image;
  g.smp = c.pairs;
  g.disk.kind = qemu::DiskKind::kNone;
  g.net = {qemu::NetKind::kVhostUser, socket, c.pairs, kGuestAddress, kPeer, {}};
  for (const NetTest& t : kNetTests) {
    g.net.steps.push_back(fmt::format("udp:{}:{}:{}:{}", t.name, t.payload, c.pairs, NetSeconds()));
  }
  auto run = qemu::RunGuest(SystemLauncher(), g, kNetGuestTimeout);
  (*server)->Signal(SIGTERM);
  (void)(*server)->Wait(5);
  unlink(socket.c_str());
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
      state.SkipWithError(fmt::format("{} datagrams came back wrong", r.bad).c_str());
      return;
    }
    state.SetIterationTime(1.0 / r.pps);  // per datagram, there and back
    state.counters["pps"] = r.pps;
    state.counters["mbps"] = r.mbps;
    state.counters["lost_windows"] = static_cast<double>(r.lost);
    if (r.interrupts >= 0 && r.packets > 0) {
      state.counters["irqs_per_pkt"] =
          static_cast<double>(r.interrupts) / static_cast<double>(r.packets);
    }
    state.SetBytesProcessed(test.payload);
    state.SetItemsProcessed(1);
  }
  state.SetLabel(fmt::format("{}, {} vCPU{}, reflecting", qemu::AccelName(lab.accel.accel), c.pairs,
                             c.pairs == 1 ? "" : "s"));
}

}  // namespace

void AddVirtioNetBenchmarks(SuiteSpec& suite) {
  if (const std::string why = GuestUnavailable(); !why.empty()) {
    suite.skipped.push_back("network guest: " + why);
    return;
  }
  for (const NetConfigSpec& c : NetConfigs(QuickMode())) {
    for (const NetTest& t : kNetTests) {
      suite.benchmarks.push_back(
          GuestResultBenchmark(fmt::format("virtio/{}/{}", t.name, c.name), c.role,
                               [c, t](benchmark::State& s) { NetBenchmark(s, c, t); }));
    }
  }
}

}  // namespace perfkit::suites
