#include "qemu/launcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace perfkit::qemu {
namespace {

std::string JoinSteps(const std::vector<std::string>& steps) {
  std::string out;
  for (const std::string& s : steps) out += (out.empty() ? "" : ",") + s;
  return out;
}

// "key=value key=value" after a PERFKIT- tag.
std::map<std::string, std::string> Fields(std::string_view line) {
  std::map<std::string, std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string word; in >> word;) {
    const size_t eq = word.find('=');
    if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

double Number(const std::map<std::string, std::string>& f, const std::string& key) {
  const auto it = f.find(key);
  return it == f.end() ? 0 : std::strtod(it->second.c_str(), nullptr);
}

// The last `lines` lines of a console log (of any length, empty included:
// a guest that hangs in its firmware prints nothing).
std::string Tail(std::string_view log, int lines) {
  while (!log.empty() && log.back() == '\n') log.remove_suffix(1);
  size_t start = log.size();
  for (int n = 0; n < lines && start > 0; ++n) {
    const size_t nl = log.rfind('\n', start - 1);
    start = nl == std::string_view::npos ? 0 : nl;
  }
  if (start > 0 || (!log.empty() && log[0] == '\n')) ++start;
  return std::string(log.substr(std::min(start, log.size())));
}

// "192.0.2.0/24" for "192.0.2.2/24".
std::string Subnet24(const std::string& address) {
  const size_t dot = address.rfind('.');
  return dot == std::string::npos ? address : address.substr(0, dot) + ".0/24";
}

}  // namespace

const char* AccelName(Accel accel) { return accel == Accel::kKvm ? "kvm" : "tcg"; }

Result<GuestImage> FindGuestImage(const std::string& dir) {
  namespace fs = std::filesystem;
  GuestImage image{(fs::path(dir) / "vmlinuz").string(), (fs::path(dir) / "initrd.img").string(),
                   ""};
  std::ifstream release(fs::path(dir) / "release");
  std::getline(release, image.release);
  if (image.release.empty() || !fs::exists(image.kernel)) {
    return Status::Error("no guest kernel in " + dir +
                         " (scripts/setup.sh fetches Debian's cloud kernel there)");
  }
  if (!fs::exists(image.initrd)) {
    return Status::Error("no guest initramfs in " + dir + " (the build makes it: cmake --build)");
  }
  return image;
}

std::vector<std::string> BuildArgv(const GuestConfig& c) {
  const std::string mem = std::to_string(c.memory_mib) + "M";
  std::vector<std::string> argv = {
      c.qemu, "-accel", c.accel == Accel::kKvm ? "kvm" : "tcg", "-cpu",
      c.accel == Accel::kKvm ? "host" : "max", "-smp", std::to_string(c.smp), "-m", mem,
      // No default devices (VGA, network, their option ROMs): a faster boot
      // and nothing but our disk on the PCI bus.
      "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
      "-kernel", c.image.kernel, "-initrd", c.image.initrd,
      // The guest's memory in a shared memfd for every device alike, which
      // vhost-user needs and the built-in device does not mind.
      "-object", "memory-backend-memfd,id=mem,size=" + mem + ",share=on", "-numa",
      "node,memdev=mem"};
  std::string append = "console=ttyS0 quiet panic=-1";
  if (c.smoke) {
    append += " perfkit.smoke=1";
  } else {
    if (!c.steps.empty()) append += " perfkit.run=" + JoinSteps(c.steps);
    const std::string queue = ",num-queues=" + std::to_string(c.disk.queues) +
                              ",queue-size=" + std::to_string(c.disk.queue_size);
    if (c.disk.kind == DiskKind::kNone) {
      // a guest with a network card only
    } else if (c.disk.kind == DiskKind::kVhostUser) {
      argv.insert(argv.end(), {"-chardev", "socket,id=vu0,path=" + c.disk.socket, "-device",
                               "vhost-user-blk-pci,chardev=vu0" + queue});
    } else {
      std::string device = "virtio-blk-pci,drive=disk0" + queue;
      if (c.disk.iothread) {
        argv.insert(argv.end(), {"-object", "iothread,id=io0"});
        device += ",iothread=io0";
      }
      argv.insert(argv.end(), {"-blockdev",
                               "driver=file,node-name=disk0,filename=" + c.disk.file +
                                   ",cache.direct=" + (c.disk.direct ? "on" : "off"),
                               "-device", device});
    }
  }
  if (!c.smoke && c.net.kind != NetKind::kNone) {
    const std::string pairs = std::to_string(c.net.queue_pairs);
    std::string device = "virtio-net-pci,netdev=net0,mq=on";
    // QEMU 7.2 crashes starting a vhost network card whose MSI-X vectors
    // have no KVM irqfd behind them (msix_set_vector_notifiers, under TCG):
    // there the card interrupts through INTx, and so does every other
    // card, so that the back ends compare under the same interrupts.
    device += c.accel == Accel::kTcg ? ",vectors=0"
                                     : ",vectors=" + std::to_string(2 * c.net.queue_pairs + 2);
    std::string netdev;
    if (c.net.kind == NetKind::kVhostUser) {
      argv.insert(argv.end(), {"-chardev", "socket,id=vn0,path=" + c.net.socket});
      netdev = "vhost-user,id=net0,chardev=vn0,queues=" + pairs;
    } else if (c.net.kind == NetKind::kTap) {
      netdev = "tap,id=net0,ifname=" + c.net.tap +
               ",script=no,downscript=no,vhost=" + (c.net.vhost ? "on" : "off") +
               ",queues=" + pairs;
    } else {
      // QEMU's host address on the guest's subnet; what the guest sends it
      // goes to the host's 127.0.0.1.
      netdev = "user,id=net0,net=" + Subnet24(c.net.address) + ",host=" + c.net.ping;
    }
    argv.insert(argv.end(), {"-netdev", netdev, "-device", device});
    append += " perfkit.net=" + c.net.address;
    if (!c.net.ping.empty()) append += " perfkit.ping=" + c.net.ping;
    if (!c.net.steps.empty()) append += " perfkit.netrun=" + JoinSteps(c.net.steps);
  }
  argv.insert(argv.end(), {"-append", append});
  return argv;
}

Result<GuestReport> ParseSerialLog(std::string_view log, bool smoke) {
  GuestReport report;
  bool up = false, done = false;
  std::string error, pending_bad;
  size_t at = 0;
  while (at < log.size()) {
    size_t end = log.find('\n', at);
    if (end == std::string_view::npos) end = log.size();
    std::string_view line = log.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t tag = line.find("PERFKIT-");
    if (tag == std::string_view::npos) continue;
    line.remove_prefix(tag);
    const auto f = Fields(line);
    if (line.rfind("PERFKIT-UP", 0) == 0) {
      up = true;
      report.kernel = f.count("kernel") ? f.at("kernel") : "";
    } else if (line.rfind("PERFKIT-DISK", 0) == 0) {
      report.disk.nr_requests = static_cast<int>(Number(f, "nr_requests"));
      report.disk.max_segments = static_cast<int>(Number(f, "max_segments"));
      report.disk.hw_queues = static_cast<int>(Number(f, "hw_queues"));
      report.disk.tags = static_cast<int>(Number(f, "tags"));
      report.disk.features = f.count("features") ? f.at("features") : "";
    } else if (line.rfind("PERFKIT-RESULT", 0) == 0) {
      TestResult t;
      t.name = f.count("name") ? f.at("name") : "";
      t.op = f.count("op") ? f.at("op") : "";
      t.block_bytes = static_cast<int64_t>(Number(f, "bs"));
      t.depth = static_cast<int>(Number(f, "qd"));
      t.ops = static_cast<uint64_t>(Number(f, "ops"));
      t.seconds = Number(f, "seconds");
      t.iops = Number(f, "iops");
      t.mbps = Number(f, "mbps");
      t.p50_us = Number(f, "p50_us");
      t.p99_us = Number(f, "p99_us");
      t.interrupts = static_cast<int64_t>(Number(f, "irqs"));
      report.tests.push_back(t);
    } else if (line.rfind("PERFKIT-VERIFY", 0) == 0 || line.rfind("PERFKIT-FILL", 0) == 0) {
      report.verifies.push_back(
          {line.rfind("PERFKIT-FILL", 0) == 0, static_cast<uint64_t>(Number(f, "first")),
           static_cast<uint64_t>(Number(f, "sectors")), static_cast<uint64_t>(Number(f, "bad")),
           static_cast<uint64_t>(Number(f, "first_bad"))});
    } else if (line.rfind("PERFKIT-NET ", 0) == 0) {
      report.net.up = true;
      report.net.rx_queues = static_cast<int>(Number(f, "rx_queues"));
      report.net.features = f.count("features") ? f.at("features") : "";
    } else if (line.rfind("PERFKIT-NETRESULT", 0) == 0) {
      NetResult r;
      r.name = f.count("name") ? f.at("name") : "";
      r.payload = static_cast<int>(Number(f, "payload"));
      r.flows = static_cast<int>(Number(f, "flows"));
      r.seconds = Number(f, "seconds");
      r.packets = static_cast<uint64_t>(Number(f, "packets"));
      r.pps = Number(f, "pps");
      r.mbps = Number(f, "mbps");
      r.bad = static_cast<uint64_t>(Number(f, "bad"));
      r.lost = static_cast<uint64_t>(Number(f, "lost"));
      r.interrupts = static_cast<int64_t>(Number(f, "irqs"));
      r.kicks = f.count("kicks") ? static_cast<int64_t>(Number(f, "kicks")) : -1;
      if (pending_bad.rfind("name=" + r.name + " ", 0) == 0) r.first_bad = pending_bad;
      pending_bad.clear();
      report.net_tests.push_back(r);
    } else if (line.rfind("PERFKIT-NETBAD", 0) == 0) {
      // Printed before its step's NETRESULT: kept for it.
      pending_bad = std::string(line.substr(std::string_view("PERFKIT-NETBAD ").size()));
    } else if (line.rfind("PERFKIT-PING", 0) == 0) {
      // "PERFKIT-PING 3 packets transmitted, 3 packets received, 0% packet loss"
      int sent = 0, received = 0;
      if (std::sscanf(std::string(line).c_str(),
                      "PERFKIT-PING %d packets transmitted, %d packets received", &sent,
                      &received) == 2) {
        report.net.pings_sent = sent;
        report.net.pings_received = received;
      }
    } else if (line.rfind("PERFKIT-ERROR", 0) == 0 && error.empty()) {
      error = std::string(line.substr(std::string_view("PERFKIT-ERROR").size()));
      if (!error.empty() && error[0] == ' ') error.erase(0, 1);
    } else if (line.rfind("PERFKIT-DONE", 0) == 0) {
      done = true;
    }
  }
  if (!error.empty()) return Status::Error("the guest reported: " + error);
  if (!up)
    return Status::Error("the guest never reached its init; its console ended:\n" + Tail(log, 8));
  if (!smoke && !done) {
    return Status::Error("the guest stopped before finishing; its console ended:\n" + Tail(log, 8));
  }
  return report;
}

Result<GuestRun> RunGuest(Launcher& launcher, const GuestConfig& config, double timeout_s) {
  SpawnOptions spawn;
  spawn.argv = BuildArgv(config);
  spawn.out = Redirect::kCapture;
  spawn.err = Redirect::kCapture;
  spawn.netns_fd = config.netns_fd;
  const auto start = std::chrono::steady_clock::now();
  auto exit = RunProcess(launcher, spawn, timeout_s);
  if (!exit.ok()) return exit.status();
  GuestRun run;
  run.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.log = exit->out;
  if (exit->timed_out) {
    return Status::Error("QEMU " + exit->Describe() + "; the console ended:\n" +
                         Tail(exit->out, 8));
  }
  if (!exit->Success()) {
    return Status::Error("QEMU " + exit->Describe() + ": " + Tail(exit->err, 4));
  }
  auto report = ParseSerialLog(exit->out, config.smoke);
  if (!report.ok()) return report.status();
  run.report = std::move(*report);
  return run;
}

AccelChoice ChooseAccel(Launcher& launcher, const GuestConfig& base, double timeout_s,
                        const std::string& kvm_device) {
  if (const char* forced = std::getenv("PERFKIT_QEMU_ACCEL"); forced != nullptr) {
    if (std::string(forced) == "kvm") return {Accel::kKvm, "PERFKIT_QEMU_ACCEL=kvm"};
    if (std::string(forced) == "tcg") return {Accel::kTcg, "PERFKIT_QEMU_ACCEL=tcg"};
  }
  const int fd = open(kvm_device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return {Accel::kTcg, "no usable " + kvm_device};
  close(fd);
  GuestConfig smoke = base;
  smoke.accel = Accel::kKvm;
  smoke.smoke = true;
  SpawnOptions spawn;
  spawn.argv = BuildArgv(smoke);
  spawn.out = Redirect::kCapture;
  spawn.err = Redirect::kCapture;
  auto exit = RunProcess(launcher, spawn, timeout_s);
  if (!exit.ok()) return {Accel::kTcg, "KVM smoke boot: " + exit.status().message()};
  const std::string seconds = std::to_string(static_cast<int>(timeout_s)) + " s";
  // Some hypervisors (kvm_pvm) give a /dev/kvm whose stock guests hang in
  // their firmware: the console stays empty, or shows only SeaBIOS.
  if (exit->timed_out && exit->out.find_first_not_of(" \r\n") == std::string::npos) {
    return {Accel::kTcg, "the KVM guest printed nothing in " + seconds};
  }
  if (exit->timed_out && exit->out.find("PERFKIT-UP") == std::string::npos) {
    return {Accel::kTcg, "the KVM guest did not reach its init in " + seconds};
  }
  if (!exit->Success()) {
    std::string err = Tail(exit->err, 1);
    return {Accel::kTcg, "QEMU under KVM " + exit->Describe() + (err.empty() ? "" : ": " + err)};
  }
  auto report = ParseSerialLog(exit->out, /*smoke=*/true);
  if (report.ok()) return {Accel::kKvm, "KVM booted the guest"};
  std::string why = report.status().message();
  if (const size_t nl = why.find('\n'); nl != std::string::npos) why.resize(nl);
  return {Accel::kTcg, "/dev/kvm exists but KVM did not boot the guest: " + why};
}

std::string QemuVersion(Launcher& launcher, const std::string& qemu) {
  SpawnOptions spawn;
  spawn.argv = {qemu, "--version"};
  spawn.out = Redirect::kCapture;
  spawn.err = Redirect::kNull;
  auto exit = RunProcess(launcher, spawn, 10);
  if (!exit.ok() || !exit->Success()) return "";
  const std::string& out = exit->out;  // "QEMU emulator version 7.2.22 (Debian ...)"
  const size_t v = out.find("version ");
  if (v == std::string::npos) return "";
  const size_t end = out.find_first_of(" \n", v + 8);
  return out.substr(v + 8, end == std::string::npos ? std::string::npos : end - v - 8);
}

}  // namespace perfkit::qemu
