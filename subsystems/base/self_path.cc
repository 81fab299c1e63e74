#include "subsystems/base/self_path.h"

#include <filesystem>

namespace perfkit {

namespace fs = std::filesystem;

std::string SelfExecutable() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : self.string();
}

std::string HelperProgram(const std::string& name) {
  const std::string self = SelfExecutable();
  if (self.empty()) return "";
  const fs::path dir = fs::path(self).parent_path();
  const fs::path beside = dir / name;
  const fs::path installed = dir.parent_path() / "libexec" / "perfkit" / name;
  std::error_code ec;
  if (!fs::exists(beside, ec) && fs::exists(installed, ec)) return installed.string();
  return beside.string();
}

std::string InstalledData(const std::string& name) {
  const std::string self = SelfExecutable();
  if (self.empty()) return "";
  const fs::path data = fs::path(self).parent_path().parent_path() / "share" / "perfkit" / name;
  std::error_code ec;
  return fs::exists(data, ec) ? data.string() : "";
}

}  // namespace perfkit
