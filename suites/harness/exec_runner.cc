#include "suites/harness/exec_runner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
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

std::vector<std::string> ProgramArgs(const std::string& program, const ExecOptions& o,
                                     const std::string& dir, const std::string& out_path) {
  std::vector<std::string> args = {program};
  if (o.perfkit_build) {
    args.insert(args.end(), {"bench", "--repetitions", std::to_string(o.repetitions),
                             "--min-time", std::to_string(o.min_time_s), "--db",
                             dir + "/perfkit.db", "--json", out_path});
    for (const auto& s : o.suites) args.insert(args.end(), {"--suite", s});
    if (!o.filter.empty()) args.insert(args.end(), {"--filter", o.filter});
  } else {
    args.insert(args.end(), {"--benchmark_out=" + out_path, "--benchmark_out_format=json",
                             "--benchmark_repetitions=" + std::to_string(o.repetitions),
                             "--benchmark_enable_random_interleaving=true",
                             "--benchmark_min_time=" + std::to_string(o.min_time_s)});
    if (!o.filter.empty()) args.push_back("--benchmark_filter=" + o.filter);
  }
  args.insert(args.end(), o.args.begin(), o.args.end());
  return args;
}

}  // namespace

Result<std::string> ProgramVersion(const std::string& program) {
  auto resolved = ResolveProgram(program);
  if (!resolved.ok()) return resolved.status();
  int fds[2];
  if (pipe(fds) != 0) return Status::Error(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) return Status::Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    close(fds[0]);
    execl(resolved->c_str(), resolved->c_str(), "--version", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return out.substr(0, out.find('\n'));
}

Result<std::string> RunBenchmarkExecutable(const ExecOptions& options) {
  auto program = ResolveProgram(options.program);
  if (!program.ok()) return program.status();

  char dir_template[] = "/tmp/perfkit-exec-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return Status::Error(std::string("mkdtemp: ") + std::strerror(errno));
  }
  const std::string dir = dir_template;
  const std::string out_path = dir + "/out.json";
  std::vector<std::string> args = ProgramArgs(*program, options, dir, out_path);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return Status::Error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    if (options.quiet) {
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
    } else {
      dup2(STDERR_FILENO, STDOUT_FILENO);  // our stdout is for the results table
    }
    execv(argv[0], argv.data());
    std::fprintf(stderr, "perfkit: cannot execute '%s': %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string json = ReadWhole(out_path);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
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
