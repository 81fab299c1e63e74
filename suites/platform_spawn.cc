// Process cold start: fork then exec, vfork then exec, and posix_spawn of a
// tiny static program, timed to its first instruction (it writes a byte to
// an inherited pipe as that instruction) and to its exit. These are the
// primitives themselves being measured, so they are called directly rather
// than through subsystems/base/subprocess.h.
#include <fcntl.h>
#include <fmt/core.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "subsystems/base/self_path.h"
#include "suites/claims.h"
#include "suites/suite.h"

extern char** environ;

namespace perfkit::suites {
namespace {

using Clock = std::chrono::steady_clock;

std::string HelloPath() {
  const std::string path = HelperProgram("perfkit-hello");
  return access(path.c_str(), X_OK) == 0 ? path : "";
}

double ParentRssMib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

enum class How { kForkExec, kVforkExec, kPosixSpawn };

// The child gets `signal_fd` as its descriptor 3, where perfkit-hello
// writes its byte.
pid_t Start(How how, const char* program, char* const argv[], int signal_fd) {
  if (how == How::kPosixSpawn) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, signal_fd, 3);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, program, &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
  }
  const pid_t pid = how == How::kForkExec ? fork() : vfork();
  if (pid == 0) {
    dup2(signal_fd, 3);
    execve(program, argv, environ);
    _exit(127);
  }
  return pid;
}

void Spawn(benchmark::State& state, How how, bool to_exit) {
  const std::string hello = HelloPath();
  if (hello.empty()) {
    state.SkipWithError("perfkit-hello is not built beside perfkit");
    return;
  }
  char* argv[] = {const_cast<char*>(hello.c_str()), nullptr};
  for (auto _ : state) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      state.SkipWithError("cannot make the pipe");
      return;
    }
    // Above 3, so dup2 onto 3 always makes a copy without close-on-exec.
    const int writer = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
    close(p[1]);
    const auto start = Clock::now();
    const pid_t pid = writer < 0 ? -1 : Start(how, hello.c_str(), argv, writer);
    // Only the child holds the pipe open now: a child that never runs
    // closes it, and the read below sees the end instead of waiting.
    if (writer >= 0) close(writer);
    char byte = 0;
    const bool ran = pid > 0 && read(p[0], &byte, 1) == 1;
    const auto running = Clock::now();
    if (pid > 0) waitpid(pid, nullptr, 0);
    const auto done = Clock::now();
    close(p[0]);
    if (!ran) {
      state.SkipWithError(pid > 0 ? "perfkit-hello did not run" : "cannot start perfkit-hello");
      return;
    }
    state.SetIterationTime(
        std::chrono::duration<double>((to_exit ? done : running) - start).count());
  }
  // fork copies the parent's page tables: its cost grows with what perfkit
  // has mapped at that moment (the platform suite maps up to 1 GiB).
  state.counters["parent_rss_mib"] = ParentRssMib();
}

// A whole command, from posix_spawn to its exit, its output discarded: how
// long `perfkit --version` (what scripts and completions call) takes
// against /bin/true, the floor of starting any dynamically linked program.
void RunToExit(benchmark::State& state, const std::vector<std::string>& command) {
  if (command[0].empty() || access(command[0].c_str(), X_OK) != 0) {
    state.SkipWithError(("cannot run " + command[0]).c_str());
    return;
  }
  std::vector<char*> argv;
  for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  for (auto _ : state) {
    const auto start = Clock::now();
    pid_t pid = -1;
    int status = 0;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0 ||
        waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      state.SkipWithError((command[0] + " failed").c_str());
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
  }
  posix_spawn_file_actions_destroy(&actions);
}

constexpr char kVersion[] = "platform/startup/perfkit-version";
constexpr char kTrue[] = "platform/startup/true";
constexpr char kCxxHello[] = "platform/startup/cxx-hello";
constexpr double kStartupTarget = 2;  // --version within 2x /bin/true

// The start-up target, with the floor that any C++ program linked like
// perfkit stands on: how much of the gap is the loading of the shared
// libraries perfkit needs and how much is perfkit's own.
Claim StartupTarget() {
  return [](const Measured& m) -> std::optional<ClaimResult> {
    const std::string topic = "start-up";
    if (const std::string error = FirstError(m, {kVersion, kTrue}); !error.empty()) {
      return Unmeasured(topic, error);
    }
    const auto ours = m.medians.find(kVersion), floor = m.medians.find(kTrue);
    if (ours == m.medians.end() || floor == m.medians.end() || !(floor->second > 0)) {
      return std::nullopt;
    }
    const double times = ours->second / floor->second;
    std::string text = fmt::format("{}: perfkit --version takes {}, /bin/true {}: {:.2f}x", topic,
                                   FormatNs(ours->second), FormatNs(floor->second), times);
    const auto cxx = m.medians.find(kCxxHello);
    if (cxx != m.medians.end() && cxx->second > 0 && FirstError(m, {kCxxHello}).empty()) {
      text += fmt::format(
          "; a C++ program that only prints its name (perfkit-hello-cxx) takes {} ({:.2f}x): "
          "the share of loading the shared libraries perfkit needs (libstdc++, Google "
          "Benchmark, fmt), perfkit's own is {}",
          FormatNs(cxx->second), cxx->second / floor->second, FormatNs(ours->second - cxx->second));
    }
    ClaimResult r = Said(topic, text + fmt::format(" (target: <= {:g}x)", kStartupTarget));
    r.value = times;
    r.has_value = true;
    r.unit = "x /bin/true's time";
    r.target = fmt::format("<= {:g}", kStartupTarget);
    r.status = times <= kStartupTarget ? ClaimStatus::kMet : ClaimStatus::kNotMet;
    r.benchmarks = {kVersion, kTrue};
    return r;
  };
}

void AddStartupBenchmarks(SuiteSpec& suite) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
      {kVersion, {SelfExecutable(), "--version"}},
      {kTrue, {"/bin/true"}},
      {kCxxHello, {HelperProgram("perfkit-hello-cxx")}}};
  for (const auto& [name, command] : commands) {
    BenchmarkSpec spec{name, name == kVersion ? Role::kOurs : Role::kPeer,
                       [command = command](benchmark::State& s) { RunToExit(s, command); }};
    spec.manual_time = true;
    spec.iterations = 100;
    suite.benchmarks.push_back(std::move(spec));
  }
  suite.claims.push_back(StartupTarget());
}

}  // namespace

void AddPlatformSpawnBenchmarks(SuiteSpec& suite) {
  AddStartupBenchmarks(suite);
  if (HelloPath().empty()) {
    suite.skipped.push_back("spawn: perfkit-hello is not built beside perfkit");
    return;
  }
  for (auto [name, how] :
       {std::pair{"fork-exec", How::kForkExec}, std::pair{"vfork-exec", How::kVforkExec},
        std::pair{"posix-spawn", How::kPosixSpawn}}) {
    for (bool to_exit : {false, true}) {
      BenchmarkSpec spec{std::string("platform/spawn-") + (to_exit ? "exit" : "first-insn") + "/" +
                             name + "/static",
                         how == How::kPosixSpawn ? Role::kOurs : Role::kPeer,
                         [how = how, to_exit](benchmark::State& s) { Spawn(s, how, to_exit); }};
      spec.manual_time = true;
      spec.iterations = 200;
      suite.benchmarks.push_back(std::move(spec));
    }
  }
  suite.claims.push_back(Ratio("cold start to the first instruction",
                               "platform/spawn-first-insn/posix-spawn/static",
                               "platform/spawn-first-insn/fork-exec/static", "posix_spawn",
                               "fork+exec", "vfork/posix_spawn start processes faster"));
  suite.claims.push_back(Ratio("first touch of 64 MiB", "platform/first-touch/populate/64MiB",
                               "platform/first-touch/faults/64MiB", "MAP_POPULATE", "page faults",
                               "pre-populate to avoid page faults"));
}

}  // namespace perfkit::suites
