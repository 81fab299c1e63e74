#include "subsystems/base/self_path.h"

#include <filesystem>

namespace perfkit {

std::string SelfExecutable() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : self.string();
}

}  // namespace perfkit
