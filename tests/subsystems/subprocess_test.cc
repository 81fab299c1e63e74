// The one way perfkit starts processes: exit codes and signals as shells
// report them, exec failures as errors, captured output larger than a pipe,
// a hard timeout, a held child, EINTR, and no child left behind.
#include "subsystems/base/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>

namespace perfkit {
namespace {

Result<ExitInfo> Sh(const std::string& script, double timeout_s = 0) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.out = Redirect::kCapture;
  o.err = Redirect::kCapture;
  return RunProcess(SystemLauncher(), o, timeout_s);
}

TEST(Subprocess, ExitCodesAndCapturedOutput) {
  auto ok = Sh("echo out; echo err >&2");
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_TRUE(ok->Success());
  EXPECT_EQ(ok->out, "out\n");
  EXPECT_EQ(ok->err, "err\n");
  auto three = Sh("exit 3");
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->exit_code, 3);
  EXPECT_EQ(three->Describe(), "exited with status 3");
  auto killed = Sh("kill -9 $$");
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->signal, 9);
  EXPECT_EQ(killed->exit_code, 137);
}

TEST(Subprocess, OutputLargerThanAPipeDoesNotDeadlock) {
  auto big = Sh("head -c 3000000 /dev/zero; head -c 200000 /dev/zero >&2");
  ASSERT_TRUE(big.ok()) << big.error();
  EXPECT_EQ(big->out.size(), 3000000u);
  EXPECT_EQ(big->err.size(), 200000u);
}

TEST(Subprocess, ExecFailuresAreErrorsNamingTheProgram) {
  SpawnOptions o;
  o.argv = {"/no/such/program"};
  auto missing = RunProcess(SystemLauncher(), o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "cannot run '/no/such/program': No such file or directory");
  o.argv = {"/tmp"};
  auto dir = RunProcess(SystemLauncher(), o);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error(), "cannot run '/tmp': Is a directory");
  o.argv = {"no-such-program-in-path"};
  auto path = RunProcess(SystemLauncher(), o);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error(), "cannot run 'no-such-program-in-path': not found in PATH");
}

TEST(Subprocess, TimeoutKillsTheChild) {
  const auto start = std::chrono::steady_clock::now();
  auto r = Sh("sleep 30", 0.3);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->Success());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Subprocess, EnvironmentOverridesAndWorkingDirectory) {
  setenv("PERFKIT_SUBPROCESS_TEST_GONE", "x", 1);
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "echo \"$A|${PERFKIT_SUBPROCESS_TEST_GONE:-unset}|$(pwd)\""};
  o.env = {{"A", "1"}, {"PERFKIT_SUBPROCESS_TEST_GONE", std::nullopt}};
  o.cwd = "/";
  o.out = Redirect::kCapture;
  auto r = RunProcess(SystemLauncher(), o);
  unsetenv("PERFKIT_SUBPROCESS_TEST_GONE");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "1|unset|/\n");
}

TEST(Subprocess, AHeldChildRunsOnlyWhenReleased) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "echo ran"};
  o.out = Redirect::kCapture;
  o.hold = true;
  {
    auto dropped = SystemLauncher().Spawn(o);
    ASSERT_TRUE(dropped.ok());
    // Destroyed without Release: the child must exit without running.
  }
  auto held = SystemLauncher().Spawn(o);
  ASSERT_TRUE(held.ok());
  auto early = (*held)->Poll();
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value());
  ASSERT_TRUE((*held)->Release().ok());
  auto done = (*held)->Wait();
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->out, "ran\n");
  o.argv = {"/bin/true"};
  o.cwd = "/no/such/dir";
  auto bad = SystemLauncher().Spawn(o);
  ASSERT_TRUE(bad.ok());
  Status released = (*bad)->Release();
  ASSERT_FALSE(released.ok());
  EXPECT_NE(released.message().find("No such file or directory"), std::string::npos);
}

void OnAlarm(int) {}

TEST(Subprocess, WaitingSurvivesSignals) {
  struct sigaction sa {};
  sa.sa_handler = OnAlarm;  // no SA_RESTART: poll and wait4 return EINTR
  struct sigaction old {};
  sigaction(SIGALRM, &sa, &old);
  itimerval every{{0, 20000}, {0, 20000}};
  setitimer(ITIMER_REAL, &every, nullptr);
  auto r = Sh("sleep 0.3; echo done");
  itimerval off{};
  setitimer(ITIMER_REAL, &off, nullptr);
  sigaction(SIGALRM, &old, nullptr);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->out, "done\n");
  EXPECT_EQ(r->exit_code, 0);
}

TEST(Subprocess, SignalAndNoChildLeftBehind) {
  SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  pid_t pid = 0;
  {
    auto p = SystemLauncher().Spawn(o);
    ASSERT_TRUE(p.ok());
    pid = (*p)->pid();
    (*p)->Signal(SIGTERM);
    auto r = (*p)->Wait();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->signal, SIGTERM);
    (*p)->Signal(SIGKILL);  // reaped: must not signal a reused pid
  }
  {
    auto p = SystemLauncher().Spawn(o);
    ASSERT_TRUE(p.ok());
    pid = (*p)->pid();
  }
  EXPECT_NE(kill(pid, 0), 0);  // killed and reaped by the destructor
}

TEST(Subprocess, CpuTimeOfTheChild) {
  auto r = Sh("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done");
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->CpuSeconds(), 0.01);
}

}  // namespace
}  // namespace perfkit
