#include "subsystems/power/sysfs.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "subsystems/base/machine.h"

namespace perfkit::power {

std::string UnderRoot(const std::string& absolute) { return ThisMachine().Path(absolute); }

Result<std::string> ReadText(const std::string& path) { return TextOf(path); }

Result<uint64_t> ReadUnsigned(const std::string& path) {
  auto text = ReadText(path);
  if (!text.ok()) return text.status();
  if (text->empty() || text->size() > 20 ||
      !std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::Error(path + " does not hold a number ('" + text->substr(0, 40) + "')");
  }
  errno = 0;
  const unsigned long long v = std::strtoull(text->c_str(), nullptr, 10);
  if (errno == ERANGE) return Status::Error(path + " holds a number out of range");
  return static_cast<uint64_t>(v);
}

Result<double> ReadDouble(const std::string& path) {
  auto text = ReadText(path);
  if (!text.ok()) return text.status();
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !std::isfinite(v)) {
    return Status::Error(path + " does not hold a number ('" + text->substr(0, 40) + "')");
  }
  return v;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return names;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace perfkit::power
