#include "subsystems/power/energy_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <regex>

#include "subsystems/base/machine.h"
#include "subsystems/power/sysfs.h"

namespace perfkit::power {
namespace {

// --- powercap -------------------------------------------------------------

class Powercap : public EnergySource {
 public:
  struct Zone {
    std::string dir, label;
    WrapCounter counter;
  };
  explicit Powercap(std::vector<Zone> zones) : zones_(std::move(zones)) {}
  std::string name() const override {
    std::string labels;
    for (const Zone& z : zones_) labels += (labels.empty() ? "" : ", ") + z.label;
    return "powercap (" + labels + ")";
  }
  Result<double> Joules() override {
    double total = 0;
    for (Zone& z : zones_) {
      auto raw = ReadUnsigned(z.dir + "/energy_uj");
      if (!raw.ok()) return raw.status();
      total += static_cast<double>(z.counter.Add(*raw)) * 1e-6;
    }
    return total;
  }

 private:
  std::vector<Zone> zones_;
};

// --- perf power PMU -------------------------------------------------------

class PerfPower : public EnergySource {
 public:
  PerfPower(std::vector<int> fds, double scale) : fds_(std::move(fds)), scale_(scale) {}
  ~PerfPower() override {
    for (int fd : fds_) close(fd);
  }
  std::string name() const override { return "perf power/energy-pkg"; }
  Result<double> Joules() override {
    double total = 0;
    for (int fd : fds_) {
      uint64_t count = 0;
      if (read(fd, &count, sizeof count) != sizeof count) {
        return Status::Error(std::string("reading power/energy-pkg: ") + std::strerror(errno));
      }
      total += static_cast<double>(count) * scale_;
    }
    return total;
  }

 private:
  std::vector<int> fds_;
  double scale_;
};

// --- MSRs -----------------------------------------------------------------

struct MsrLayout {
  const char* vendor;
  uint32_t units, energy;
};
constexpr MsrLayout kIntel{"Intel", 0x606, 0x611};
constexpr MsrLayout kAmd{"AMD", 0xC0010299, 0xC001029B};

Result<uint64_t> ReadMsr(int fd, uint32_t reg, const std::string& path) {
  uint64_t v = 0;
  errno = 0;
  if (pread(fd, &v, sizeof v, reg) != sizeof v) {
    return Status::Error(fmt::format("cannot read MSR {:#x} from {}: {}", reg, path,
                                     errno != 0 ? std::strerror(errno) : "short read"));
  }
  return v;
}

class Msr : public EnergySource {
 public:
  Msr(int fd, std::string path, MsrLayout layout, double unit)
      : fd_(fd),
        path_(std::move(path)),
        layout_(layout),
        unit_(unit),
        counter_(uint64_t{1} << 32) {}
  ~Msr() override { close(fd_); }
  std::string name() const override {
    return std::string("msr (") + layout_.vendor + " package energy, CPU 0's package)";
  }
  Result<double> Joules() override {
    auto raw = ReadMsr(fd_, layout_.energy, path_);
    if (!raw.ok()) return raw.status();
    return static_cast<double>(counter_.Add(*raw & 0xffffffffu)) * unit_;
  }

 private:
  int fd_;
  std::string path_;
  MsrLayout layout_;
  double unit_;
  WrapCounter counter_;
};

// --- hwmon ----------------------------------------------------------------

class Hwmon : public EnergySource {
 public:
  Hwmon(std::vector<std::string> files, bool energy) : files_(std::move(files)), energy_(energy) {}
  std::string name() const override {
    return std::string("hwmon (") + std::to_string(files_.size()) +
           (energy_ ? " energy inputs)" : " power inputs, integrated)");
  }
  Result<double> Joules() override {
    double sum = 0;
    for (const std::string& f : files_) {
      auto v = ReadUnsigned(f);
      if (!v.ok()) return v.status();
      sum += static_cast<double>(*v);
    }
    const auto now = std::chrono::steady_clock::now();
    if (energy_) {  // microjoules
      total_ = (first_ ? 0 : total_ + std::max(0.0, sum - last_) * 1e-6);
    } else {  // microwatts, the mean of two readings over the time between
      const double watts = sum * 1e-6;
      if (!first_) {
        total_ += (watts + last_) / 2 * std::chrono::duration<double>(now - when_).count();
      }
      sum = watts;
    }
    first_ = false;
    last_ = sum;
    when_ = now;
    return total_;
  }

 private:
  std::vector<std::string> files_;
  bool energy_;
  bool first_ = true;
  double last_ = 0, total_ = 0;
  std::chrono::steady_clock::time_point when_;
};

}  // namespace

uint64_t WrapCounter::Add(uint64_t raw) {
  if (!first_) {
    if (raw >= last_) {
      total_ += raw - last_;
    } else if (range_ > last_) {  // wrapped once
      total_ += range_ - last_ + raw;
    }
  }
  first_ = false;
  last_ = raw;
  return total_;
}

Result<std::unique_ptr<EnergySource>> OpenPowercap() {
  const std::string root = UnderRoot("/sys/class/powercap");
  const std::vector<std::string> names = ListDir(root);
  if (names.empty()) return Status::Error("no " + root);
  // Top-level zones only ("intel-rapl:0", not its subzone "intel-rapl:0:0",
  // which the package already counts); psys covers the whole platform and
  // would count the packages twice, so it is used only alone.
  static const std::regex kTopLevel("[a-z_-]+:[0-9]+");
  std::vector<Powercap::Zone> packages, platform;
  std::string why;
  for (const std::string& n : names) {
    if (!std::regex_match(n, kTopLevel)) continue;
    const std::string dir = root + "/" + n;
    auto label = ReadText(dir + "/name");
    auto range = ReadUnsigned(dir + "/max_energy_range_uj");
    auto energy = ReadUnsigned(dir + "/energy_uj");
    if (!energy.ok()) {
      why = energy.error();
      continue;
    }
    if (!range.ok()) {
      why = range.error();
      continue;
    }
    Powercap::Zone z{dir, label.ok() ? *label : n, WrapCounter(*range + 1)};
    (z.label == "psys" ? platform : packages).push_back(std::move(z));
  }
  if (packages.empty()) packages = std::move(platform);
  if (packages.empty()) {
    return Status::Error(why.empty() ? "no energy zone in " + root : why);
  }
  auto source = std::make_unique<Powercap>(std::move(packages));
  if (auto first = source->Joules(); !first.ok()) return first.status();
  return std::unique_ptr<EnergySource>(std::move(source));
}

Result<PerfPowerEvent> ReadPerfPowerEvent(const std::string& event) {
  const std::string dir = UnderRoot("/sys/bus/event_source/devices/power");
  auto type = ReadUnsigned(dir + "/type");
  if (!type.ok()) return Status::Error("no power PMU (" + dir + "/type)");
  auto spec = ReadText(dir + "/events/" + event);
  if (!spec.ok()) return Status::Error("the power PMU has no " + event + " event");
  PerfPowerEvent e;
  e.type = static_cast<uint32_t>(*type);
  static const std::regex kEvent("event=(0x[0-9a-fA-F]+|[0-9]+)");
  std::smatch m;
  if (!std::regex_search(*spec, m, kEvent)) {
    return Status::Error(dir + "/events/" + event + " is not 'event=N' ('" + *spec + "')");
  }
  e.config = std::stoull(m[1].str(), nullptr, 0);
  auto scale = ReadDouble(dir + "/events/" + event + ".scale");
  if (!scale.ok()) return scale.status();
  if (!(*scale > 0)) return Status::Error(dir + "/events/" + event + ".scale is not positive");
  e.scale = *scale;
  auto unit = ReadText(dir + "/events/" + event + ".unit");
  e.unit = unit.ok() ? *unit : "";
  if (e.unit != "Joules") {
    return Status::Error(dir + "/events/" + event + ".unit is '" + e.unit + "', not Joules");
  }
  return e;
}

Result<std::unique_ptr<EnergySource>> OpenPerfPower() {
  auto event = ReadPerfPowerEvent("energy-pkg");
  if (!event.ok()) return event.status();
  // One CPU per package, as the PMU's cpumask says ("0" or "0,36").
  auto mask = ReadText(UnderRoot("/sys/bus/event_source/devices/power/cpumask"));
  std::vector<int> cpus;
  if (mask.ok()) {
    static const std::regex kCpu("[0-9]+");
    for (std::sregex_iterator it(mask->begin(), mask->end(), kCpu), end; it != end; ++it) {
      cpus.push_back(std::stoi(it->str()));
    }
  }
  if (cpus.empty()) cpus = {0};
  std::vector<int> fds;
  for (int cpu : cpus) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = event->type;
    attr.config = event->config;
    const long fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
      const std::string why = std::strerror(errno);
      for (int f : fds) close(f);
      return Status::Error("perf_event_open(power/energy-pkg, CPU " + std::to_string(cpu) + "): " +
                           why + (errno == EACCES ? " (perf_event_paranoid, or root)" : ""));
    }
    fds.push_back(static_cast<int>(fd));
  }
  return std::unique_ptr<EnergySource>(std::make_unique<PerfPower>(std::move(fds), event->scale));
}

Result<std::unique_ptr<EnergySource>> OpenMsr() {
  const CpuidRegs r = ThisMachine().Cpuid(0, 0).value_or(CpuidRegs{});
  char vendor[13] = {};
  std::memcpy(vendor, &r.ebx, 4);
  std::memcpy(vendor + 4, &r.edx, 4);
  std::memcpy(vendor + 8, &r.ecx, 4);
  const std::string v = vendor;
  MsrLayout layout;
  if (v == "GenuineIntel") {
    layout = kIntel;
  } else if (v == "AuthenticAMD" || v == "HygonGenuine") {
    layout = kAmd;
  } else {
    return Status::Error("no energy MSR known for " + v);
  }
  const std::string path = UnderRoot("/dev/cpu/0/msr");
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::Error("cannot open " + path + ": " + std::strerror(errno) +
                         (errno == ENOENT ? " (modprobe msr)" : ""));
  }
  auto units = ReadMsr(fd, layout.units, path);
  auto energy = units.ok() ? ReadMsr(fd, layout.energy, path) : units;
  if (!energy.ok()) {
    close(fd);
    return energy.status();
  }
  // Energy status units, bits 12:8: a count is 1/2^ESU joules.
  const double unit = std::ldexp(1.0, -static_cast<int>((*units >> 8) & 0x1f));
  auto source = std::make_unique<Msr>(fd, path, layout, unit);
  if (auto first = source->Joules(); !first.ok()) return first.status();
  return std::unique_ptr<EnergySource>(std::move(source));
}

Result<std::unique_ptr<EnergySource>> OpenHwmon() {
  const std::string root = UnderRoot("/sys/class/hwmon");
  const std::vector<std::string> devices = ListDir(root);
  if (devices.empty()) return Status::Error("no " + root);
  static const std::regex kEnergy("energy[0-9]+_input"), kPower("power[0-9]+_(input|average)");
  static const std::regex kWhole("socket|package|pkg|cpu", std::regex::icase);
  std::vector<std::string> energy, whole_energy, power;
  for (const std::string& d : devices) {
    for (const std::string& f : ListDir(root + "/" + d)) {
      const std::string path = root + "/" + d + "/" + f;
      if (std::regex_match(f, kEnergy) && ReadUnsigned(path).ok()) {
        energy.push_back(path);
        // amd_energy has a counter per core and per socket: the sockets
        // already hold the cores.
        auto label = ReadText(path.substr(0, path.size() - 6) + "_label");
        if (label.ok() && std::regex_search(*label, kWhole)) whole_energy.push_back(path);
      } else if (std::regex_match(f, kPower) && ReadUnsigned(path).ok()) {
        power.push_back(path);
      }
    }
  }
  std::unique_ptr<Hwmon> source;
  if (!whole_energy.empty()) {
    source = std::make_unique<Hwmon>(std::move(whole_energy), true);
  } else if (!energy.empty()) {
    source = std::make_unique<Hwmon>(std::move(energy), true);
  } else if (!power.empty()) {
    source = std::make_unique<Hwmon>(std::move(power), false);
  } else {
    return Status::Error("no readable energy or power input in " + root);
  }
  if (auto first = source->Joules(); !first.ok()) return first.status();
  return std::unique_ptr<EnergySource>(std::move(source));
}

EnergyProbe ProbeEnergy() {
  EnergyProbe probe;
  const std::pair<const char*, Result<std::unique_ptr<EnergySource>> (*)()> chain[] = {
      {"powercap", &OpenPowercap},
      {"perf", &OpenPerfPower},
      {"msr", &OpenMsr},
      {"hwmon", &OpenHwmon}};
  for (const auto& [name, open] : chain) {
    auto source = open();
    if (source.ok()) {
      probe.source = std::move(*source);
      return probe;
    }
    probe.unavailable.push_back(std::string(name) + ": " + source.error());
  }
  return probe;
}

std::string EnergyProbe::Describe() const {
  if (source) return source->name();
  std::string why;
  for (const std::string& u : unavailable) why += (why.empty() ? "" : "; ") + u;
  return "none (" + why + ")";
}

}  // namespace perfkit::power
