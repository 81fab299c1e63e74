#include "tests/test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/command.h"
#include "subsystems/base/check.h"

namespace perfkit::testing {

std::string SourceDir() { return PERFKIT_SOURCE_DIR; }
std::string BinaryDir() { return PERFKIT_BINARY_DIR; }

std::string PerfkitBinary() { return BinaryDir() + "/bin/perfkit"; }

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "perfkit-test-XXXXXX").string();
  PERFKIT_CHECK(mkdtemp(tmpl.data()) != nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& cwd) {
  TempDir io;
  const std::string out_path = io.File("out"), err_path = io.File("err");
  const pid_t pid = fork();
  PERFKIT_CHECK(pid >= 0);
  if (pid == 0) {
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFileOrDie(out_path);
  r.err = ReadFileOrDie(err_path);
  return r;
}

CommandResult RunInProcess(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"perfkit"};
  full.insert(full.end(), args.begin(), args.end());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CommandResult r;
  r.exit_code = cli::PerfkitMain(full);
  std::fflush(stdout);
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  PERFKIT_CHECK(static_cast<bool>(in));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFileOrDie(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  PERFKIT_CHECK(static_cast<bool>(out));
}

std::unique_ptr<Process> ServeVirtio(const std::vector<std::string>& args, int netns_fd) {
  int ready[2];
  EXPECT_EQ(pipe2(ready, O_CLOEXEC), 0);
  SpawnOptions spawn;
  spawn.argv = {PerfkitBinary(), "virtio"};
  spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
  spawn.argv.insert(spawn.argv.end(), {"--ready-fd", std::to_string(ready[1])});
  spawn.keep_fds = {ready[1]};
  spawn.err = Redirect::kCapture;
  spawn.netns_fd = netns_fd;
  auto p = SystemLauncher().Spawn(spawn);
  close(ready[1]);
  char line[8] = {};
  const bool ok = p.ok() && read(ready[0], line, sizeof line) > 0;
  close(ready[0]);
  EXPECT_TRUE(ok) << "perfkit virtio " << args[0] << " did not start listening";
  return ok ? std::move(*p) : nullptr;
}

std::unique_ptr<Process> ServeBlk(const std::string& socket, const std::string& disk) {
  return ServeVirtio({"serve-blk", "--socket", socket, disk});
}

}  // namespace perfkit::testing
