// Helpers for tests: temporary directories, running the built perfkit binary
// as a user would, and running it in-process with captured output.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "subsystems/base/subprocess.h"

namespace perfkit::testing {

std::string SourceDir();  // the checkout, as CMake saw it
std::string BinaryDir();  // the build directory
std::string PerfkitBinary();

// A fresh directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` in a child process with `cwd`, capturing stdout and stderr.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& cwd = "");

// PerfkitMain in this process with stdout/stderr captured.
CommandResult RunInProcess(const std::vector<std::string>& args);

// `perfkit virtio serve-blk` serving `disk` on `socket`, started and
// listening (its stderr captured); nullptr, with a test failure, otherwise.
std::unique_ptr<Process> ServeBlk(const std::string& socket, const std::string& disk);
// `perfkit virtio ARGS...`, once it listens (its stderr captured), in the
// network namespace `netns_fd` names if one is given.
std::unique_ptr<Process> ServeVirtio(const std::vector<std::string>& args, int netns_fd = -1);

std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, const std::string& content);

}  // namespace perfkit::testing
