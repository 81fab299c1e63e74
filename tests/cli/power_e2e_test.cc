// `perfkit power` as a user runs it. This machine has no energy counter, so
// calibration runs against a fake powercap tree (or a fake meter's log) and
// a fake /proc/stat, which this test drives from the CPU time of the
// perfkit it runs through a known model, P = 40 W + 60 W x u; the quick
// calibration must find it again, however busy the real machine is.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "subsystems/base/subprocess.h"
#include "subsystems/power/cpu_usage.h"
#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

namespace fs = std::filesystem;

// A fake machine whose only work is the perfkit it watches: every 20 ms it
// adds that process's CPU time to a fake /proc/stat and the energy a known
// model of that utilisation would use, into powercap's energy_uj (starting
// near its wrap) or a meter's CSV log. Other work on the real CPUs (other
// tests, a busy CI machine) only slows the calibration's loads; the fake
// machine never sees it, so the model is there to be found on any machine.
// The powercap writer is late on purpose every 50th time (400 ms), as a
// writer starved by the calibration's loads is: read at an arbitrary
// moment, such a counter is stale.
class FakeMeter {
 public:
  enum class Kind { kPowercap, kCsv };
  // P = idle_w + cpu_w x u, or with `drift`, idle_w + cpu_w x t / 10 s
  // (t from the start): a machine warming up whatever its load, which no
  // model of the load describes.
  FakeMeter(Kind kind, const std::string& root, std::string where, double idle_w, double cpu_w,
            bool drift = false)
      : kind_(kind),
        stat_(root + "/proc/stat"),
        where_(std::move(where)),
        idle_w_(idle_w),
        cpu_w_(cpu_w),
        drift_(drift) {
    fs::create_directories(root + "/proc");
    WriteStat();
    if (kind_ == Kind::kPowercap) {
      fs::create_directories(where_);
      std::ofstream(where_ + "/name") << "package-0\n";
      std::ofstream(where_ + "/max_energy_range_uj") << kRange << "\n";
      Publish(kRange - 3'000'000);
    }
    thread_ = std::thread([this] { Drive(); });
  }
  ~FakeMeter() {
    stop_ = true;
    thread_.join();
  }
  void Watch(pid_t pid) { pid_ = pid; }

 private:
  static constexpr uint64_t kRange = 262143328850;

  static void Replace(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp) << text;
    fs::rename(tmp, path);  // readers never see half a file
  }
  void Publish(uint64_t uj) const { Replace(where_ + "/energy_uj", std::to_string(uj) + "\n"); }
  void WriteStat() const {
    Replace(stat_, "cpu  " + std::to_string(busy_) + " 0 0 " + std::to_string(total_ - busy_) +
                       " 0 0 0 0 0 0\n");
  }

  // utime + stime + cutime + cstime of the watched process, in ticks.
  uint64_t WatchedTicks() const {
    if (pid_ == 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid_.load()) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t paren = text.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(text.substr(paren + 2));
    std::string field;
    uint64_t ticks = 0;
    for (int i = 3; i <= 17 && fields >> field; ++i) {
      if (i >= 14) ticks += std::stoull(field);
    }
    return ticks;
  }

  void Drive() {
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double cpus = static_cast<double>(power::OnlineCpus());
    double uj = static_cast<double>(kRange - 3'000'000);
    auto last = std::chrono::steady_clock::now();
    uint64_t last_ticks = 0;
    pid_t last_pid = 0;
    double total = 0, elapsed = 0;
    std::ofstream csv;
    std::deque<std::pair<double, double>> pending;
    if (kind_ == Kind::kCsv) csv.open(where_);
    for (int i = 1; !stop_; ++i) {
      const bool late = kind_ == Kind::kPowercap && i % 50 == 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(late ? 400 : 20));
      const auto now = std::chrono::steady_clock::now();
      const double dt = std::chrono::duration<double>(now - last).count();
      const uint64_t ticks = WatchedTicks();
      // A process that ended reads as none: it used nothing since.
      const uint64_t used = pid_ == last_pid && ticks >= last_ticks ? ticks - last_ticks : 0;
      last_pid = pid_;
      last_ticks = ticks;
      total += dt * cpus * hz;
      busy_ = std::min<uint64_t>(busy_ + used, static_cast<uint64_t>(total));
      total_ = static_cast<uint64_t>(total);
      const double u = std::min(1.0, static_cast<double>(used) / (dt * cpus * hz));
      elapsed += dt;
      const double watts = drift_ ? idle_w_ + cpu_w_ * elapsed / 10 : idle_w_ + cpu_w_ * u;
      WriteStat();  // before the energy: a reader that saw the energy sees its utilisation
      if (kind_ == Kind::kPowercap) {
        uj += watts * dt * 1e6;
        Publish(static_cast<uint64_t>(uj) % (kRange + 1));
      } else {
        // A logger's lines reach the file a second after their readings,
        // as a real meter's do: the log ends short of "now".
        const double unix_now =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        pending.emplace_back(unix_now, watts);
        while (!pending.empty() && pending.front().first <= unix_now - 1) {
          csv << std::fixed << pending.front().first << "," << pending.front().second << "\n";
          pending.pop_front();
        }
        csv << std::flush;
      }
      last = now;
    }
  }

  Kind kind_;
  std::string stat_;
  std::string where_;
  double idle_w_, cpu_w_;
  bool drift_;
  uint64_t busy_ = 0, total_ = 0;
  std::atomic<pid_t> pid_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::vector<std::string> PerfkitArgv(const std::string& root, std::vector<std::string> args) {
  std::vector<std::string> argv = {"env", "PERFKIT_SYSFS_ROOT=" + root, PerfkitBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

CommandResult Perfkit(const std::string& root, std::vector<std::string> args) {
  return RunCommand(PerfkitArgv(root, std::move(args)));
}

// Perfkit, with `meter` watching it (env execs perfkit in the same process).
CommandResult Perfkit(const std::string& root, std::vector<std::string> args, FakeMeter& meter) {
  SpawnOptions spawn;
  spawn.argv = PerfkitArgv(root, std::move(args));
  spawn.out = Redirect::kCapture;
  spawn.err = Redirect::kCapture;
  auto child = SystemLauncher().Spawn(spawn);
  if (!child.ok()) return {-1, "", child.status().message()};
  meter.Watch((*child)->pid());
  auto exit = (*child)->Wait(600);
  meter.Watch(0);
  if (!exit.ok()) return {-1, "", exit.status().message()};
  return {exit->exit_code, exit->out, exit->err};
}

void ExpectWithinPct(double got, double want, double pct, const char* what) {
  EXPECT_LE(std::abs(got - want), want * pct / 100) << what << ": " << got << " vs " << want;
}

TEST(Power, StatusWithoutASourceSaysWhyAndCreatesNothing) {
  TempDir dir;
  auto r = Perfkit(dir.path(), {"power", "status", "--db", dir.File("p.db")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("source     none (powercap: no "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("profile    none"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir.File("p.db")));
  auto c = Perfkit(dir.path(), {"power", "calibrate", "--quick", "--db", dir.File("p.db")});
  EXPECT_EQ(c.exit_code, 3);
  EXPECT_NE(c.err.find("perfkit: no energy source to calibrate against"), std::string::npos)
      << c.err;
  EXPECT_FALSE(fs::exists(dir.File("p.db")));
}

TEST(Power, CalibrationFindsTheModelBehindAFakePowercapTree) {
  TempDir dir;
  FakeMeter meter(FakeMeter::Kind::kPowercap, dir.path(),
                  dir.path() + "/sys/class/powercap/intel-rapl:0", 40, 60);
  auto r = Perfkit(dir.path(),
                   {"power", "calibrate", "--quick", "--json", "--db", dir.File("p.db")}, meter);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["source"], "powercap (package-0)");
  ExpectWithinPct(j["p_idle_w"].get<double>(), 40, 10, "p_idle_w");
  ExpectWithinPct(j["c_cpu_w_per_util"].get<double>(), 60, 10, "c_cpu_w_per_util");
  // The fake has no memory term: what the fit gives it stays small.
  EXPECT_LT(j["c_mem_w_per_gbps"].get<double>() * 10, 4) << r.out;
  EXPECT_LE(j["validation"]["mape_pct"].get<double>(), 15) << r.out;
  EXPECT_TRUE(j["validated"].get<bool>()) << r.out;
  // Each step's energy is its own, late writer or not.
  for (const auto& step : j["ladder"]) {
    ExpectWithinPct(step["watts"].get<double>(), 40 + 60 * step["u"].get<double>(), 5,
                    step["load"].get<std::string>().c_str());
  }

  auto status = Perfkit(dir.path(), {"power", "status", "--db", dir.File("p.db")});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("source     powercap (package-0)"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("measured   "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("estimated  "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("(validated"), std::string::npos) << status.out;
}

TEST(Power, CalibrationAgainstAMetersLog) {
  TempDir dir;
  const std::string log = dir.File("meter.csv");
  FakeMeter meter(FakeMeter::Kind::kCsv, dir.path(), log, 30, 50);
  auto r = Perfkit(
      dir.path(),
      {"power", "calibrate", "--quick", "--json", "--reference", log, "--db", dir.File("p.db")},
      meter);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["source"], "reference meter " + log);
  ExpectWithinPct(j["p_idle_w"].get<double>(), 30, 10, "p_idle_w");
  ExpectWithinPct(j["c_cpu_w_per_util"].get<double>(), 50, 10, "c_cpu_w_per_util");
}

// A machine no model of its load describes (its power drifts up with time):
// the held-out loads, measured last, show it, and the model is refused
// rather than kept to price every later estimate wrongly.
TEST(Power, ACalibrationThatMissesItsHeldOutLoadsIsNotStored) {
  TempDir dir;
  FakeMeter meter(FakeMeter::Kind::kPowercap, dir.path(),
                  dir.path() + "/sys/class/powercap/intel-rapl:0", 40, 60, /*drift=*/true);
  auto r = Perfkit(dir.path(), {"power", "calibrate", "--quick", "--db", dir.File("p.db")}, meter);
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.err.find("missed the held-out loads by"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not stored"), std::string::npos) << r.err;
  auto status = Perfkit(dir.path(), {"power", "status", "--db", dir.File("p.db")});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("profile    none"), std::string::npos) << status.out;
}

TEST(Power, AnImportedProfileDrivesBudgetsEnergyAndHistory) {
  TempDir dir;
  const std::string db = dir.File("p.db");
  const std::string& root = dir.path();
  WriteFileOrDie(dir.File("bad.json"),
                 R"({"p_idle_w": 40, "c_cpu_w_per_util": -1, "c_mem_w_per_gbps": 0})");
  auto bad = Perfkit(root, {"power", "profile", "import", dir.File("bad.json"), "--db", db});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("'c_cpu_w_per_util' must be a finite number >= 0"), std::string::npos)
      << bad.err;
  EXPECT_FALSE(fs::exists(db));
  WriteFileOrDie(dir.File("huge.json"),
                 R"({"p_idle_w": 1e308, "c_cpu_w_per_util": 60, "c_mem_w_per_gbps": 0})");
  auto huge = Perfkit(root, {"power", "profile", "import", dir.File("huge.json"), "--db", db});
  EXPECT_EQ(huge.exit_code, 3);
  EXPECT_NE(huge.err.find("'p_idle_w' must be a finite number >= 0 and at most 100000"),
            std::string::npos)
      << huge.err;
  EXPECT_FALSE(fs::exists(db));

  WriteFileOrDie(dir.File("p.json"),
                 R"({"source": "a bench meter", "p_idle_w": 40, "c_cpu_w_per_util": 60,)"
                 R"( "c_mem_w_per_gbps": 0.5})");
  auto imported = Perfkit(root, {"power", "profile", "import", dir.File("p.json"), "--db", db});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("not validated"), std::string::npos) << imported.out;

  auto low = Perfkit(root, {"power", "run", "--budget", "30", "--db", db, "--", "true"});
  EXPECT_EQ(low.exit_code, 2);
  EXPECT_NE(low.err.find("at or below this machine's idle power"), std::string::npos) << low.err;

  auto run = Perfkit(root, {"power", "run", "--budget", "55", "--db", db, "--", "sh", "-c",
                            "head -c 150000000 /dev/zero | sha256sum"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // That the budget throttles; how well it holds is judged from runs on a
  // quiet machine, not from a test sharing its CPUs with others.
  const size_t held = run.out.find("the budget held in ");
  ASSERT_NE(held, std::string::npos) << run.out;
  EXPECT_GE(std::stod(run.out.substr(held + 19)), 50) << run.out;
  EXPECT_TRUE(run.out.find("SIGSTOP/SIGCONT within each sample") != std::string::npos ||
              run.out.find("cgroup cpu.max\n") != std::string::npos)
      << run.out;

  auto bench = Perfkit(root, {"bench", "--suite", "crc32", "--quick", "--filter",
                              "crc32c/slice8/4096$", "--energy", "--db", db});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_NE(bench.out.find("energy: estimated from the power profile (not validated"),
            std::string::npos)
      << bench.out;
  EXPECT_NE(bench.out.find("energy_est_j"), std::string::npos) << bench.out;

  auto record = Perfkit(root, {"power", "record", "--duration", "1s", "--db", db});
  ASSERT_EQ(record.exit_code, 0) << record.err;
  EXPECT_NE(record.out.find("estimated samples"), std::string::npos) << record.out;

  auto history = Perfkit(root, {"power", "history", "--db", db, "-o", dir.File("power.png")});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  for (const char* origin :
       {"bench (estimated)", "record (estimated)", "run --budget (estimated)"}) {
    EXPECT_NE(history.out.find(origin), std::string::npos) << origin << "\n" << history.out;
  }
  EXPECT_GT(fs::file_size(dir.File("power.png")), 1000u);
}

TEST(Power, BenchEnergyWithoutSourceOrProfileRunsAndSaysWhy) {
  TempDir dir;
  auto r = Perfkit(dir.path(), {"bench", "--suite", "crc32", "--quick", "--filter",
                                "crc32c/slice8/4096$", "--energy", "--db", dir.File("p.db")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("energy: not measured: no energy source here"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace perfkit::testing
