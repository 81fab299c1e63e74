#include "suites/harness/exec_runner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "suites/harness/interrupt.h"

namespace perfkit::harness {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

Result<std::string> ResolveProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (IsExecutableFile(program)) return program;
    return Status::Error("cannot execute '" + program +
                         "': not found or not an executable file");
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return Status::Error("cannot execute '" + program + "': not found in PATH");
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

Result<std::string> RunBenchmarkExecutable(const ExecOptions& options) {
  auto program = ResolveProgram(options.program);
  if (!program.ok()) return program.status();

  char out_path[] = "/tmp/perfkit-exec-XXXXXX";
  const int out_fd = mkstemp(out_path);
  if (out_fd < 0) return Status::Error(std::string("mkstemp: ") + std::strerror(errno));
  close(out_fd);

  std::vector<std::string> args = {
      *program,
      std::string("--benchmark_out=") + out_path,
      "--benchmark_out_format=json",
      "--benchmark_repetitions=" + std::to_string(options.repetitions),
      "--benchmark_enable_random_interleaving=true",
      "--benchmark_min_time=" + std::to_string(options.min_time_s),
  };
  if (!options.filter.empty()) args.push_back("--benchmark_filter=" + options.filter);
  args.insert(args.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) {
    unlink(out_path);
    return Status::Error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    dup2(STDERR_FILENO, STDOUT_FILENO);  // our stdout is for the results table
    execv(argv[0], argv.data());
    std::fprintf(stderr, "perfkit: cannot execute '%s': %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string json = ReadWhole(out_path);
  unlink(out_path);
  if (InterruptRequested()) return Status::Error("interrupted");
  if (WIFSIGNALED(status)) {
    return Status::Error("'" + options.program + "' was killed by signal " +
                         std::to_string(WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    return Status::Error("'" + options.program + "' exited with status " +
                         std::to_string(WEXITSTATUS(status)) +
                         " (is it a Google Benchmark executable?)");
  }
  if (json.empty()) {
    return Status::Error("'" + options.program +
                         "' wrote no benchmark results (not a Google Benchmark executable, or "
                         "its filter matched nothing?)");
  }
  return json;
}

}  // namespace perfkit::harness
