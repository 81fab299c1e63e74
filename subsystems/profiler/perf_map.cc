#include "subsystems/profiler/perf_map.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace perfkit::profiler {
namespace {

// A runtime's map has one line per compiled function: tens of thousands.
constexpr size_t kMaxBytes = size_t{64} << 20;
constexpr size_t kMaxName = 4096;

bool Hex(const std::string& word, uint64_t* out) {
  const char* s = word.c_str();
  if (word.rfind("0x", 0) == 0) s += 2;
  if (*s == '\0') return false;
  char* end = nullptr;
  *out = std::strtoull(s, &end, 16);
  return *end == '\0';
}

}  // namespace

PerfMap PerfMap::FromText(const std::string& text) {
  PerfMap map;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string start, size;
    uint64_t a = 0, n = 0;
    if (!(f >> start >> size) || !Hex(start, &a) || !Hex(size, &n) || n == 0) continue;
    std::string name;
    std::getline(f >> std::ws, name);
    if (name.empty() || a + n < a) continue;
    if (name.size() > kMaxName) name.resize(kMaxName);
    for (char& c : name) {
      if (static_cast<unsigned char>(c) < 0x20 || c == ';') c = '?';  // folded stacks split on ';'
    }
    map.entries_.push_back({a, n, std::move(name)});
  }
  std::sort(map.entries_.begin(), map.entries_.end(),
            [](const Entry& x, const Entry& y) { return x.start < y.start; });
  return map;
}

PerfMap::PerfMap(uint32_t pid, long owner) {
  const std::string path = "/tmp/perf-" + std::to_string(pid) + ".map";
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return;
  struct stat st;
  const bool trusted = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                       static_cast<size_t>(st.st_size) <= kMaxBytes &&
                       (st.st_uid == geteuid() || (owner >= 0 && st.st_uid == owner));
  std::string text;
  if (trusted) {
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = read(fd, text.data() + got, text.size() - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
  }
  close(fd);
  *this = FromText(text);
}

std::string PerfMap::Name(uint64_t address) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), address,
                             [](uint64_t a, const Entry& e) { return a < e.start; });
  if (it == entries_.begin()) return "";
  --it;
  return address < it->start + it->size ? it->name : "";
}

}  // namespace perfkit::profiler
