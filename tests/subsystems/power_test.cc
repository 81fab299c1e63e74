// The power model's fit on synthetic traces with fixed seeds, the energy
// sources on fake trees under PERFKIT_SYSFS_ROOT, the reference meter's log,
// and the budget runner's refusals and clean endings.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "subsystems/base/clock.h"
#include "subsystems/base/process_identity.h"
#include "subsystems/power/budget.h"
#include "subsystems/power/calibrate.h"
#include "subsystems/power/cpu_usage.h"
#include "subsystems/power/energy_source.h"
#include "subsystems/power/model.h"
#include "subsystems/power/reference_meter.h"
#include "tests/test_util.h"

namespace perfkit::power {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr PowerModel kTruth{35, 80, 3};

// A trace like calibrate's: each load held for 8 s and read every 100 ms,
// each reading off by multiplicative Gaussian noise, the step's energy the
// sum of its readings.
std::vector<Observation> Trace(const std::vector<std::pair<double, double>>& loads, double noise,
                               unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(1, noise);
  std::vector<Observation> out;
  for (auto [u, bw] : loads) {
    Observation o{"synthetic", u, bw, 8, 0};
    for (int i = 0; i < 80; ++i) o.joules += kTruth.Watts(u, bw) * 0.1 * n(rng);
    out.push_back(o);
  }
  return out;
}

std::vector<std::pair<double, double>> Ladder() {
  std::vector<std::pair<double, double>> loads;
  for (double bw : {0.0, 10.0, 20.0}) {
    for (double u : {0.0, 0.25, 0.5, 0.75, 1.0}) loads.push_back({std::min(1.0, u + bw / 80), bw});
  }
  return loads;
}

const std::vector<std::pair<double, double>> kHeldOut = {
    {0.6, 0.1}, {0.5, 0.3}, {0.35, 6}, {0.9, 1}};

void ExpectWithin(double got, double want, double pct) {
  EXPECT_LE(std::abs(got - want), std::abs(want) * pct / 100) << got << " vs " << want;
}

// Calibration's control loop waits on LoopClock(): driven by a manual clock,
// a 10 s warm-up and a 10-minute load pass in no real time, and the load's
// length is the clock's, not the wall's.
TEST(PowerClock, ALoadsLengthComesFromTheLoopClock) {
  ManualClock clock;
  ScopedLoopClock scoped(clock);
  const auto before = std::chrono::steady_clock::now();
  auto in = MeasureLoad(LoadSpec{LoadKind::kLadder, 0, 0}, 10, 600, nullptr, nullptr);
  ASSERT_TRUE(in.ok()) << in.error();
  EXPECT_NEAR(in->observation.seconds, 600, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(30));
}

TEST(PowerFit, TwoPercentNoiseRecoversEachCoefficientWithinFivePercent) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    auto m = Fit(Trace(Ladder(), 0.02, seed));
    ASSERT_TRUE(m.ok()) << m.error();
    ExpectWithin(m->p_idle_w, kTruth.p_idle_w, 5);
    ExpectWithin(m->c_cpu_w_per_util, kTruth.c_cpu_w_per_util, 5);
    ExpectWithin(m->c_mem_w_per_gbps, kTruth.c_mem_w_per_gbps, 5);
  }
}

TEST(PowerFit, TenPercentNoiseValidatesWithinFifteenPercentOnHeldOutLoads) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    auto m = Fit(Trace(Ladder(), 0.10, seed));
    ASSERT_TRUE(m.ok()) << m.error();
    const Validation v = Validate(*m, Trace(kHeldOut, 0.10, seed + 100));
    EXPECT_EQ(v.n, 4);
    EXPECT_LE(v.mape_pct, 15) << "seed " << seed;
    EXPECT_LE(v.energy_mape_pct, 15) << "seed " << seed;
  }
}

TEST(PowerFit, CoefficientsStayNonNegative) {
  // Power that falls with bandwidth: unconstrained least squares would make
  // C_mem negative.
  std::vector<Observation> obs;
  for (double u : {0.0, 0.5, 1.0}) {
    for (double bw : {0.0, 10.0}) obs.push_back({"", u, bw, 1, 50 + 40 * u - 0.5 * bw});
  }
  auto m = Fit(obs);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->c_mem_w_per_gbps, 0);
  EXPECT_GT(m->c_cpu_w_per_util, 30);
  EXPECT_GT(m->p_idle_w, 40);
}

TEST(PowerFit, RefusesTooFewOrFlatObservations) {
  EXPECT_FALSE(Fit({{"", 0.1, 0, 1, 40}, {"", 0.9, 0, 1, 90}}).ok());
  auto flat = Fit({{"", 0.5, 0, 1, 40}, {"", 0.5, 1, 1, 42}, {"", 0.51, 2, 1, 44}});
  ASSERT_FALSE(flat.ok());
  EXPECT_NE(flat.error().find("hardly varied"), std::string::npos);
  EXPECT_FALSE(Fit({{"", 0, 0, 1, 40}, {"", 1, 0, 1, NAN}, {"", 0.5, 0, 1, 50}}).ok());
}

TEST(WrapCounter, AddsAcrossOneWrap) {
  WrapCounter c(1000);
  EXPECT_EQ(c.Add(990), 0u);
  EXPECT_EQ(c.Add(995), 5u);
  EXPECT_EQ(c.Add(5), 15u);  // 995 -> 1000 = 0 -> 5
  EXPECT_EQ(c.Add(5), 15u);
}

// A tree under PERFKIT_SYSFS_ROOT for one test.
class FakeRoot {
 public:
  FakeRoot() { setenv("PERFKIT_SYSFS_ROOT", dir_.path().c_str(), 1); }
  ~FakeRoot() { unsetenv("PERFKIT_SYSFS_ROOT"); }
  void Write(const std::string& path, const std::string& text) const {
    const fs::path p = dir_.path() + path;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string Path(const std::string& path) const { return dir_.path() + path; }

 private:
  TempDir dir_;
};

TEST(EnergySources, NoneHereSaysWhyForEachSource) {
  FakeRoot root;
  const EnergyProbe probe = ProbeEnergy();
  if (probe.source) GTEST_SKIP() << "the msr source found real registers";
  const std::string d = probe.Describe();
  for (const char* s : {"powercap: no ", "perf: no power PMU", "msr: ", "hwmon: no "}) {
    EXPECT_NE(d.find(s), std::string::npos) << d;
  }
}

TEST(EnergySources, PowercapSumsPackagesAcrossAWrap) {
  FakeRoot root;
  const std::string z0 = "/sys/class/powercap/intel-rapl:0",
                    z1 = "/sys/class/powercap/intel-rapl:1";
  for (const std::string& z : {z0, z1}) {
    root.Write(z + "/max_energy_range_uj", "1000000\n");
  }
  root.Write(z0 + "/name", "package-0\n");
  root.Write(z1 + "/name", "package-1\n");
  root.Write(z0 + "/energy_uj", "999000\n");
  root.Write(z1 + "/energy_uj", "5000\n");
  // A subzone (counted by its package) and psys (the whole platform) are left out.
  root.Write(z0 + ":0/energy_uj", "123\n");
  root.Write("/sys/class/powercap/intel-rapl:2/name", "psys\n");
  root.Write("/sys/class/powercap/intel-rapl:2/energy_uj", "7\n");
  root.Write("/sys/class/powercap/intel-rapl:2/max_energy_range_uj", "1000000\n");
  auto source = OpenPowercap();
  ASSERT_TRUE(source.ok()) << source.error();
  EXPECT_EQ((*source)->name(), "powercap (package-0, package-1)");
  root.Write(z0 + "/energy_uj", "1000\n");  // wrapped: +2000 uJ
  root.Write(z1 + "/energy_uj", "6000\n");  // +1000 uJ
  auto j = (*source)->Joules();
  ASSERT_TRUE(j.ok());
  // 999000 -> 1000 past a maximum of 1000000 is 2001 uJ (the counter runs
  // through the maximum, then 0), and 1000 on the other package.
  EXPECT_NEAR(*j, 0.003001, 1e-9);
}

TEST(EnergySources, PowercapGarbageNamesTheFile) {
  FakeRoot root;
  root.Write("/sys/class/powercap/intel-rapl:0/max_energy_range_uj", "1000\n");
  root.Write("/sys/class/powercap/intel-rapl:0/energy_uj", "12ab\n");
  auto source = OpenPowercap();
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().find("intel-rapl:0/energy_uj does not hold a number"), std::string::npos)
      << source.error();
}

TEST(EnergySources, PerfPowerEventFromSysfs) {
  FakeRoot root;
  const std::string d = "/sys/bus/event_source/devices/power";
  root.Write(d + "/type", "23\n");
  root.Write(d + "/events/energy-pkg", "event=0x02\n");
  root.Write(d + "/events/energy-pkg.scale", "2.3283064365386962890625e-10\n");
  root.Write(d + "/events/energy-pkg.unit", "Joules\n");
  auto e = ReadPerfPowerEvent("energy-pkg");
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->type, 23u);
  EXPECT_EQ(e->config, 2u);
  EXPECT_DOUBLE_EQ(e->scale, std::ldexp(1.0, -32));
  root.Write(d + "/events/energy-pkg.scale", "nan\n");
  EXPECT_FALSE(ReadPerfPowerEvent("energy-pkg").ok());
  root.Write(d + "/events/energy-pkg.scale", "1e-6\n");
  root.Write(d + "/events/energy-pkg.unit", "Watts\n");
  auto unit = ReadPerfPowerEvent("energy-pkg");
  ASSERT_FALSE(unit.ok());
  EXPECT_NE(unit.error().find("not Joules"), std::string::npos);
  EXPECT_FALSE(ReadPerfPowerEvent("energy-ram").ok());
}

TEST(EnergySources, MsrUnitsAndWrapOnAFakeDevice) {
  FakeRoot root;
  root.Write("/dev/cpu/0/msr", "");
  const int fd = open(root.Path("/dev/cpu/0/msr").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  // Both vendors' registers, so the test runs on either: units of 2^-14 J.
  auto put = [&](uint32_t reg, uint64_t v) { ASSERT_EQ(pwrite(fd, &v, 8, reg), 8); };
  for (uint32_t units : {0x606u, 0xC0010299u}) put(units, uint64_t{14} << 8);
  for (uint32_t energy : {0x611u, 0xC001029Bu}) put(energy, 0xFFFFF000u);
  auto source = OpenMsr();
  if (!source.ok() && source.error().find("no energy MSR known") != std::string::npos) {
    GTEST_SKIP() << source.error();
  }
  ASSERT_TRUE(source.ok()) << source.error();
  for (uint32_t energy : {0x611u, 0xC001029Bu}) put(energy, 0x1000);  // wrapped: +0x2000 counts
  close(fd);
  auto j = (*source)->Joules();
  ASSERT_TRUE(j.ok());
  EXPECT_DOUBLE_EQ(*j, 0x2000 / 16384.0);
}

TEST(EnergySources, HwmonPrefersSocketsOverCores) {
  FakeRoot root;
  const std::string d = "/sys/class/hwmon/hwmon3";
  root.Write(d + "/energy1_input", "1000000\n");
  root.Write(d + "/energy1_label", "Ecore000\n");
  root.Write(d + "/energy2_input", "5000000\n");
  root.Write(d + "/energy2_label", "Esocket0\n");
  auto source = OpenHwmon();
  ASSERT_TRUE(source.ok()) << source.error();
  EXPECT_EQ((*source)->name(), "hwmon (1 energy inputs)");
  root.Write(d + "/energy1_input", "9000000\n");
  root.Write(d + "/energy2_input", "7500000\n");
  auto j = (*source)->Joules();
  ASSERT_TRUE(j.ok());
  EXPECT_NEAR(*j, 2.5, 1e-9);  // the socket's 2.5 J, not the core's on top
}

TEST(EnergySources, HwmonIntegratesPowerInputs) {
  FakeRoot root;
  root.Write("/sys/class/hwmon/hwmon0/power1_input", "20000000\n");  // 20 W in microwatts
  auto source = OpenHwmon();
  ASSERT_TRUE(source.ok()) << source.error();
  usleep(200000);
  auto j = (*source)->Joules();
  ASSERT_TRUE(j.ok());
  EXPECT_NEAR(*j, 4.0, 1.0);  // 20 W for about 0.2 s
}

class MeterLog : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::string path = dir_.File("meter.csv");
    std::ofstream(path) << text;
    return path;
  }
  TempDir dir_;
};

TEST_F(MeterLog, IntegratesBetweenReadings) {
  auto m = ReferenceMeter::Load(Write("timestamp,watts\n100,10\n101,20\n102,20\n103,10\n"));
  ASSERT_TRUE(m.ok()) << m.error();
  auto j = m->Joules(100.5, 102.5);  // 12.5..20 (7.5+... ) linear pieces
  ASSERT_TRUE(j.ok()) << j.error();
  EXPECT_NEAR(*j, (12.5 + 20) / 2 * 0.5 + 20 + (20 + 17.5) / 2 * 0.5, 1e-9);
  EXPECT_FALSE(m->Joules(99, 101).ok());  // before the log
}

TEST_F(MeterLog, BadLinesAreNamed) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : {Case{"1,10\n2,abc\n", "meter.csv:2: not 'timestamp,watts'"},
                        Case{"1,10\n3,10\n2,10\n", "meter.csv:3: timestamp 2 is not after"},
                        Case{"1,10\n2,10\n30,10\n", "meter.csv:3: a gap of 28.0 s"},
                        Case{"1,10\n2,-5\n", "meter.csv:2: negative watts"},
                        Case{"1,10\n", "fewer than two readings"}}) {
    auto m = ReferenceMeter::Load(Write(c.text));
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_NE(m.error().find(c.error), std::string::npos) << m.error();
  }
}

BudgetOptions Budget(std::vector<std::string> argv, double watts) {
  BudgetOptions o;
  o.argv = std::move(argv);
  o.model = {40, 60, 0};
  o.budget_w = watts;
  o.allow_cgroup = false;
  return o;
}

TEST(PowerBudget, ABudgetAtOrBelowIdleIsRefused) {
  auto r = RunWithBudget(SystemLauncher(), Budget({"true"}, 40));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.error().find("at or below this machine's idle power (40.0 W)"), std::string::npos);
}

// True when some process of group `pgid` is stopped.
bool AnyStopped(pid_t pgid) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const int64_t pid = std::atoll(e.path().filename().c_str());
    if (pid <= 0) continue;
    const std::vector<std::string> f = ProcStatFields(pid);  // state, ppid, pgrp, ...
    if (f.size() > 2 && f[2] == std::to_string(pgid) && f[0] == "T") return true;
  }
  return false;
}

TEST(PowerBudget, AKilledCommandEndsTheRunAndNothingStaysStopped) {
  // A spinning shell, throttled hard, killed by a member of its own group.
  auto r = RunWithBudget(SystemLauncher(),
                         Budget({"sh", "-c", "(sleep 0.3; kill -9 $$) & while :; do :; done"}, 45));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->exit.signal, 9);
  EXPECT_EQ(r->method, "SIGSTOP/SIGCONT within each sample");
  EXPECT_GT(r->pgid, 0);
  EXPECT_FALSE(AnyStopped(r->pgid));
}

TEST(PowerBudget, AnInterruptEndsTheCommand) {
  int calls = 0;
  BudgetOptions o = Budget({"sleep", "30"}, 45);
  o.interrupted = [&] { return ++calls > 20; };
  const auto start = std::chrono::steady_clock::now();
  auto r = RunWithBudget(SystemLauncher(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5);
}

}  // namespace
}  // namespace perfkit::power
