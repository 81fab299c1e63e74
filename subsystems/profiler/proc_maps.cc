#include "subsystems/profiler/proc_maps.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace perfkit::profiler {

void ReadProcMaps(int pid, RawProfile* out) {
  const auto key = static_cast<uint32_t>(pid);
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string range, perms, offset, dev, inode, path;
    f >> range >> perms >> offset >> dev >> inode;
    std::getline(f >> std::ws, path);
    const size_t dash = range.find('-');
    if (perms.size() < 3 || perms[2] != 'x' || dash == std::string::npos) continue;
    Mapping m;
    m.start = std::strtoull(range.substr(0, dash).c_str(), nullptr, 16);
    m.length = std::strtoull(range.substr(dash + 1).c_str(), nullptr, 16) - m.start;
    m.pgoff = std::strtoull(offset.c_str(), nullptr, 16);
    m.path = path;
    out->mappings[key].push_back(std::move(m));
  }
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (std::getline(comm, name)) out->comms[key] = name;
  for (int tid : ProcessThreads(pid)) {
    std::ifstream thread("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/comm");
    if (std::getline(thread, name)) out->thread_names[static_cast<uint32_t>(tid)] = name;
  }
}

std::vector<int> ProcessThreads(int pid) {
  std::vector<int> tids;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const std::string name = e.path().filename().string();
    char* end = nullptr;
    const long tid = std::strtol(name.c_str(), &end, 10);
    if (*end == '\0' && tid > 0) tids.push_back(static_cast<int>(tid));
  }
  std::sort(tids.begin(), tids.end());
  return tids;
}

}  // namespace perfkit::profiler
