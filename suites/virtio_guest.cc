// The virtio suite's guest benchmarks: the same disk tests inside a real
// Linux guest (QEMU, Debian's cloud kernel, perfkit-guest-io) against
// QEMU's built-in virtio-blk, qemu-storage-daemon's vhost-user-blk export
// and perfkit's own vhost-user-blk back end, all on one backing file, and
// the same tests on that file from the host as the ceiling.
//
// One guest boot runs all four tests of a device configuration; the
// harness runs every benchmark once per round in a shuffled order, so the
// first benchmark of a configuration in a round boots the guest and the
// others take their results from that boot: configurations interleave
// round by round (ABAB), never all of A before B.
#include "suites/virtio_guest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "qemu/launcher.h"
#include "subsystems/aio/read_engines.h"
#include "subsystems/base/self_path.h"
#include "subsystems/base/subprocess.h"
#include "subsystems/virtio/split_ring.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

namespace fs = std::filesystem;

constexpr size_t kDiskBytes = size_t{256} << 20;
constexpr double kGuestTimeout = 300;  // seconds; a TCG boot and four tests take ~12

struct GuestTest {
  const char* name;
  const char* op;
  int64_t block;
  int depth;
};

constexpr GuestTest kTests[] = {{"randread-4k-qd1", "randread", 4096, 1},
                                {"randread-4k-qd32", "randread", 4096, 32},
                                {"randwrite-4k-qd1", "randwrite", 4096, 1},
                                {"seqread-1m-qd1", "seqread", 1 << 20, 1}};

// Where the guest is: $PERFKIT_GUEST_DIR, else an installed one, else what
// this build made.
std::string GuestDir() {
  if (const char* env = std::getenv("PERFKIT_GUEST_DIR"); env != nullptr && *env) return env;
  if (std::string installed = InstalledData("guest"); !installed.empty()) return installed;
  return PERFKIT_GUEST_DIR;
}

// The shared state of one perfkit process's guest runs: found once, the
// acceleration probed once, the backing file written once.
struct Lab {
  std::string unavailable;  // why no guest can run here
  qemu::GuestImage image;
  std::string qemu, qsd, perfkit, guest_io;
  bool probed = false;
  qemu::AccelChoice accel;
  std::string qemu_version;
  std::string disk;
  bool direct = false;
  Status disk_status;
  std::map<std::string, std::map<std::string, qemu::TestResult>> pending;  // config -> test
  std::map<std::string, qemu::DiskView> views;

  Lab() {
    auto image_or = qemu::FindGuestImage(GuestDir());
    auto qemu_or = FindProgram("qemu-system-x86_64");
    auto qsd_or = FindProgram("qemu-storage-daemon");
    guest_io = HelperProgram("perfkit-guest-io");
    perfkit = SelfExecutable();
    if (!qemu_or.ok() || !qsd_or.ok()) {
      unavailable = "QEMU is not installed (apt-get install qemu-system-x86)";
    } else if (!image_or.ok()) {
      unavailable = image_or.status().message();
    } else if (guest_io.empty() || access(guest_io.c_str(), X_OK) != 0) {
      unavailable = "perfkit-guest-io is not built beside perfkit";
    } else {
      image = *image_or;
      qemu = *qemu_or;
      qsd = *qsd_or;
    }
  }
  ~Lab() {
    if (!disk.empty()) unlink(disk.c_str());
  }

  // The acceleration probe (a KVM smoke boot), once.
  void Probe() {
    if (probed) return;
    probed = true;
    qemu::GuestConfig base;
    base.qemu = qemu;
    base.image = image;
    accel = qemu::ChooseAccel(SystemLauncher(), base);
    qemu_version = qemu::QemuVersion(SystemLauncher(), qemu);
  }

  // The slow part, at the first disk benchmark: the probe and the backing
  // file.
  Status Prepare() {
    if (probed && !disk.empty()) return disk_status;
    Probe();
    const char* env = std::getenv("PERFKIT_IO_DIR");
    std::string dir = env != nullptr && *env ? env : "/var/tmp";
    if (access(dir.c_str(), W_OK) != 0) dir = ".";
    disk = dir + "/perfkit-virtio-" + std::to_string(getpid()) + ".img";
    disk_status = aio::WriteTestFile(disk, kDiskBytes);
    if (disk_status.ok()) {
      const int fd = open(disk.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
      direct = fd >= 0;
      if (fd >= 0) close(fd);
    }
    return disk_status;
  }

  std::string Label(bool host) const {
    if (host) return fmt::format("host, {}", direct ? "O_DIRECT" : "buffered");
    return fmt::format("{}, QEMU {}, guest {}", qemu::AccelName(accel.accel), qemu_version,
                       image.release);
  }
};

Lab& TheLab() {
  static Lab lab;
  return lab;
}

// A configuration with several queues runs only the deep test, as that
// many jobs (one per vCPU, so each has a queue of its own) sharing its depth.
bool Runs(const DeviceConfig& c, const GuestTest& t) { return c.queues == 1 || t.depth == 32; }

std::vector<std::string> Steps(const DeviceConfig& c, double seconds) {
  std::vector<std::string> steps;
  for (const GuestTest& t : kTests) {
    if (!Runs(c, t)) continue;
    steps.push_back(fmt::format("test:{}:{}:{}:{}:{}:{}", t.name, t.op, t.block, t.depth / c.queues,
                                seconds, c.queues));
  }
  return steps;
}

double TestSeconds() { return QuickMode() ? 0.4 : 1.5; }

// A back end process: started here, ended here by its pid.
struct Backend {
  std::unique_ptr<Process> process;
  Backend() = default;
  explicit Backend(std::unique_ptr<Process> p) : process(std::move(p)) {}
  Backend(Backend&&) = default;
  Backend& operator=(Backend&&) = default;
  ~Backend() {
    if (process) {
      process->Signal(SIGTERM);
      (void)process->Wait(5);  // killed by Wait if it does not go
    }
  }
};

bool Connectable(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

Result<Backend> StartQsd(const Lab& lab, const std::string& socket) {
  SpawnOptions spawn;
  spawn.argv = {lab.qsd, "--blockdev",
                fmt::format("driver=file,node-name=disk0,filename={},cache.direct={}", lab.disk,
                            lab.direct ? "on" : "off"),
                "--export",
                fmt::format("type=vhost-user-blk,id=export0,node-name=disk0,addr.type=unix,"
                            "addr.path={},writable=on",
                            socket)};
  spawn.out = Redirect::kNull;
  spawn.err = Redirect::kNull;
  auto p = SystemLauncher().Spawn(spawn);
  if (!p.ok()) return p.status();
  Backend b(std::move(*p));
  // qemu-storage-daemon takes a probe connection and waits for the next.
  for (int i = 0; i < 200; ++i) {
    if (Connectable(socket)) return b;
    if (auto exit = b.process->Poll(); exit.ok() && *exit) {
      return Status::Error("qemu-storage-daemon " + (*exit)->Describe());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return Status::Error("qemu-storage-daemon did not listen on " + socket + " within 5 s");
}

Result<Backend> StartPerfkit(const Lab& lab, const std::string& socket, const DeviceConfig& c) {
  SpawnOptions spawn;
  spawn.argv = {lab.perfkit,
                "virtio",
                "serve-blk",
                "--socket",
                socket,
                "--queue-size",
                std::to_string(c.queue_size),
                "--queues",
                std::to_string(c.queues)};
  if (!c.event_idx) spawn.argv.push_back("--no-event-idx");
  if (!c.indirect) spawn.argv.push_back("--no-indirect");
  spawn.argv.push_back(lab.disk);
  auto p = StartListening(spawn);
  if (!p.ok()) return p.status();
  return Backend(std::move(*p));
}

// The guest's own view against what was configured.
Status CheckView(const DeviceConfig& c, const qemu::DiskView& v) {
  const int want_tags =
      c.kind != DeviceKind::kBuiltin && !c.indirect ? c.queue_size / 2 : c.queue_size;
  std::string wrong;
  if (v.tags != want_tags) wrong += fmt::format("; {} tags, not {}", v.tags, want_tags);
  if (v.hw_queues != c.queues) wrong += fmt::format("; {} queues, not {}", v.hw_queues, c.queues);
  if (c.kind == DeviceKind::kBuiltin && v.max_segments != c.queue_size - 2) {
    wrong += fmt::format("; max_segments {}, not {}", v.max_segments, c.queue_size - 2);
  }
  if (c.kind == DeviceKind::kPerfkit) {
    if (v.Feature(virtio::kFeatureEventIdx) != c.event_idx) {
      wrong += fmt::format("; EVENT_IDX {}", c.event_idx ? "off" : "on");
    }
    if (v.Feature(virtio::kFeatureIndirectDesc) != c.indirect) {
      wrong += fmt::format("; INDIRECT_DESC {}", c.indirect ? "off" : "on");
    }
  }
  if (wrong.empty()) return OkStatus();
  return Status::Error("the guest's view does not match " + c.name + wrong.substr(1));
}

Result<std::vector<qemu::TestResult>> RunHost(const Lab& lab, const DeviceConfig& c) {
  SpawnOptions spawn;
  std::string steps;
  for (const std::string& s : Steps(c, TestSeconds())) steps += (steps.empty() ? "" : ",") + s;
  spawn.argv = {lab.guest_io, lab.disk, steps};
  spawn.out = Redirect::kCapture;
  spawn.err = Redirect::kCapture;
  auto exit = RunProcess(SystemLauncher(), spawn, 120);
  if (!exit.ok()) return exit.status();
  // Framed like a guest's console, so one parser reads both.
  auto report = qemu::ParseSerialLog("PERFKIT-UP kernel=host\n" + exit->out + "PERFKIT-DONE\n");
  if (!report.ok()) return report.status();
  if (!exit->Success()) return Status::Error("perfkit-guest-io " + exit->Describe());
  return report->tests;
}

Status RunConfig(Lab& lab, const DeviceConfig& c) {
  std::vector<qemu::TestResult> tests;
  if (c.kind == DeviceKind::kHost) {
    auto host = RunHost(lab, c);
    if (!host.ok()) return host.status();
    tests = std::move(*host);
  } else {
    qemu::GuestConfig g;
    g.qemu = lab.qemu;
    g.accel = lab.accel.accel;
    g.image = lab.image;
    g.steps = Steps(c, TestSeconds());
    g.smp = c.queues;
    g.disk.queue_size = c.queue_size;
    g.disk.queues = c.queues;
    const std::string socket =
        (fs::temp_directory_path() / fmt::format("perfkit-vu-{}.sock", getpid())).string();
    Backend backend;
    if (c.kind == DeviceKind::kBuiltin) {
      g.disk.kind = qemu::DiskKind::kBuiltin;
      g.disk.file = lab.disk;
      g.disk.iothread = c.iothread;
      g.disk.direct = lab.direct;
    } else {
      g.disk.kind = qemu::DiskKind::kVhostUser;
      g.disk.socket = socket;
      auto b = c.kind == DeviceKind::kQsd ? StartQsd(lab, socket) : StartPerfkit(lab, socket, c);
      if (!b.ok()) return b.status();
      backend = std::move(*b);
    }
    auto run = qemu::RunGuest(SystemLauncher(), g, kGuestTimeout);
    unlink(socket.c_str());
    if (!run.ok()) return run.status().WithPrefix(c.name + ": ");
    if (Status s = CheckView(c, run->report.disk); !s.ok()) return s;
    lab.views[c.name] = run->report.disk;
    tests = std::move(run->report.tests);
  }
  auto& pending = lab.pending[c.name];
  pending.clear();
  for (const qemu::TestResult& t : tests) pending[t.name] = t;
  return OkStatus();
}

void GuestBenchmark(benchmark::State& state, const DeviceConfig& c, const GuestTest& test) {
  if (StopRequested()) return;
  Lab& lab = TheLab();
  if (Status s = lab.Prepare(); !s.ok()) {
    state.SkipWithError(s.message().c_str());
    return;
  }
  for (auto _ : state) {
    auto& pending = lab.pending[c.name];
    if (pending.count(test.name) == 0) {
      if (Status s = RunConfig(lab, c); !s.ok()) {
        state.SkipWithError(s.message().c_str());
        return;
      }
    }
    auto it = lab.pending[c.name].find(test.name);
    if (it == lab.pending[c.name].end() || it->second.iops <= 0) {
      state.SkipWithError(("the guest gave no result for " + std::string(test.name)).c_str());
      return;
    }
    const qemu::TestResult r = it->second;
    lab.pending[c.name].erase(it);
    state.SetIterationTime(1.0 / r.iops);  // per request
    state.counters["iops"] = r.iops;
    state.counters["mbps"] = r.mbps;
    state.counters["p50_us"] = r.p50_us;
    state.counters["p99_us"] = r.p99_us;
    if (r.interrupts >= 0 && r.ops > 0) {
      state.counters["irqs_per_req"] =
          static_cast<double>(r.interrupts) / static_cast<double>(r.ops);
    }
    state.SetBytesProcessed(test.block);
    state.SetItemsProcessed(1);
  }
  state.SetLabel(lab.Label(c.kind == DeviceKind::kHost));
}

}  // namespace

std::string GuestUnavailable() { return TheLab().unavailable; }

BenchmarkSpec GuestResultBenchmark(std::string name, Role role,
                                   std::function<void(benchmark::State&)> fn) {
  BenchmarkSpec spec{std::move(name), role, std::move(fn)};
  spec.manual_time = true;
  spec.iterations = 1;
  return spec;
}

Result<std::unique_ptr<Process>> StartListening(SpawnOptions spawn) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return Status::Error("pipe failed");
  spawn.argv.insert(spawn.argv.end(), {"--ready-fd", std::to_string(ready[1])});
  spawn.keep_fds.push_back(ready[1]);
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
    return Status::Error("perfkit virtio " + spawn.argv[2] + " did not start listening");
  }
  return std::move(*p);
}

GuestLab ProbedGuestLab() {
  Lab& lab = TheLab();
  GuestLab out;
  out.unavailable = lab.unavailable;
  if (!out.unavailable.empty()) return out;
  lab.Probe();
  out.image = lab.image;
  out.qemu = lab.qemu;
  out.perfkit = lab.perfkit;
  out.accel = lab.accel;
  out.qemu_version = lab.qemu_version;
  return out;
}

std::vector<DeviceConfig> GuestConfigs(bool quick) {
  std::vector<DeviceConfig> all = {
      {"host", DeviceKind::kHost, 128, false, true, true, Role::kPeer},
      {"builtin", DeviceKind::kBuiltin, 128, false, true, true, Role::kPeer},
      {"qsd", DeviceKind::kQsd, 128, false, true, true, Role::kPeer},
      {"perfkit", DeviceKind::kPerfkit, 128, false, true, true, Role::kOurs},
  };
  if (!quick) {
    all.push_back({"builtin-q16", DeviceKind::kBuiltin, 16, false, true, true, Role::kPeer});
    all.push_back({"builtin-iothread", DeviceKind::kBuiltin, 128, true, true, true, Role::kPeer});
    all.push_back({"perfkit-no-evidx", DeviceKind::kPerfkit, 128, false, false, true, Role::kOurs});
    all.push_back(
        {"perfkit-no-indirect", DeviceKind::kPerfkit, 128, false, true, false, Role::kOurs});
    all.push_back({"builtin-mq4", DeviceKind::kBuiltin, 128, false, true, true, Role::kPeer, 4});
    all.push_back({"perfkit-mq4", DeviceKind::kPerfkit, 128, false, true, true, Role::kOurs, 4});
  }
  return all;
}

std::string GuestEnvironment() {
  const Lab& lab = TheLab();
  if (!lab.probed) return "";
  return fmt::format(
      "guests under {} ({}), QEMU {}, kernel {}, -smp 1 for the disks (4 for the 4-queue ones)",
      qemu::AccelName(lab.accel.accel), lab.accel.reason, lab.qemu_version, lab.image.release);
}

void AddVirtioGuestBenchmarks(SuiteSpec& suite) {
  const Lab& lab = TheLab();
  if (!lab.unavailable.empty()) {
    suite.skipped.push_back("guest: " + lab.unavailable);
    return;
  }
  for (const DeviceConfig& c : GuestConfigs(QuickMode())) {
    for (const GuestTest& t : kTests) {
      if (!Runs(c, t)) continue;
      suite.benchmarks.push_back(
          GuestResultBenchmark(fmt::format("virtio/{}/{}", t.name, c.name), c.role,
                               [c, t](benchmark::State& s) { GuestBenchmark(s, c, t); }));
    }
  }
}

}  // namespace perfkit::suites
