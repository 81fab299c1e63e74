#include "suites/harness/exec_runner.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "suites/harness/interrupt.h"

namespace perfkit::harness {
namespace {

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A scratch directory removed with everything in it when this goes away.
class ScratchDir {
 public:
  ScratchDir() {
    char dir_template[] = "/tmp/perfkit-exec-XXXXXX";
    if (mkdtemp(dir_template) != nullptr) path_ = dir_template;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> GbenchArgv(const ExecOptions& o, const std::string& out_path) {
  std::vector<std::string> argv = {
      o.program,
      "--benchmark_out=" + out_path,
      "--benchmark_out_format=json",
      "--benchmark_repetitions=" + std::to_string(o.repetitions),
      std::string("--benchmark_enable_random_interleaving=") + (o.interleave ? "true" : "false"),
      "--benchmark_min_time=" + std::to_string(o.min_time_s)};
  if (!o.filter.empty()) argv.push_back("--benchmark_filter=" + o.filter);
  argv.insert(argv.end(), o.args.begin(), o.args.end());
  return argv;
}

}  // namespace

Result<std::string> RunForJson(const ArgvForDir& make_argv, bool quiet, Launcher& launcher) {
  ScratchDir dir;
  if (dir.path().empty()) return Status::Error(std::string("mkdtemp: ") + std::strerror(errno));
  SpawnOptions spawn;
  spawn.argv = make_argv(dir.path());
  spawn.out = quiet ? Redirect::kNull : Redirect::kToStderr;  // our stdout is for results
  spawn.err = quiet ? Redirect::kNull : Redirect::kInherit;
  auto exit = RunProcess(launcher, spawn);
  if (!exit.ok()) return exit.status();
  if (InterruptRequested()) return Status::Cancelled("interrupted");
  const std::string& program = spawn.argv.front();
  if (!exit->Success()) return Status::Error("'" + program + "' " + exit->Describe());
  std::string json = ReadWhole(dir.path() + "/out.json");
  if (json.empty()) return Status::Error("'" + program + "' wrote no benchmark results");
  return json;
}

Result<std::string> RunBenchmarkExecutable(const ExecOptions& options, Launcher& launcher) {
  auto json =
      RunForJson([&](const std::string& dir) { return GbenchArgv(options, dir + "/out.json"); },
                 options.quiet, launcher);
  if (json.ok() || json.status().code() == StatusCode::kCancelled) return json;
  if (json.error().rfind("cannot run", 0) == 0) return json;
  return Status::Error(json.error() +
                       " (is it a Google Benchmark executable, and does its filter match?)");
}

Result<std::string> ProgramVersion(const std::string& program, Launcher& launcher) {
  SpawnOptions spawn;
  spawn.argv = {program, "--version"};
  spawn.out = Redirect::kCapture;
  spawn.err = Redirect::kNull;
  auto exit = RunProcess(launcher, spawn, 30);
  if (!exit.ok()) return exit.status();
  return exit->out.substr(0, exit->out.find('\n'));
}

}  // namespace perfkit::harness
