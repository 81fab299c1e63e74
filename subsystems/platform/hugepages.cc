#include "subsystems/platform/hugepages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace perfkit::platform {
namespace {

int64_t ReadNumber(const std::filesystem::path& p) {
  std::ifstream in(p);
  int64_t v = 0;
  in >> v;
  return v;
}

}  // namespace

const char* PageModeName(PageMode mode) {
  switch (mode) {
    case PageMode::kSmall:
      return "4k";
    case PageMode::kTransparentHuge:
      return "thp";
    case PageMode::kHugeTlb:
      break;
  }
  return "hugetlb";
}

std::vector<HugePageSize> ReadHugePages(const std::string& root) {
  namespace fs = std::filesystem;
  std::vector<HugePageSize> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(root) / "sys/kernel/mm/hugepages", ec)) {
    const std::string name = e.path().filename();  // hugepages-2048kB
    HugePageSize s;
    s.bytes = std::atoll(name.c_str() + name.find('-') + 1) * 1024;
    s.reserved = ReadNumber(e.path() / "nr_hugepages");
    s.free = ReadNumber(e.path() / "free_hugepages");
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(),
            [](const HugePageSize& a, const HugePageSize& b) { return a.bytes < b.bytes; });
  return out;
}

std::string TransparentHugePageMode(const std::string& root) {
  std::ifstream in(std::filesystem::path(root) / "sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(in, line);
  const size_t open = line.find('['), close = line.find(']');
  return open == std::string::npos || close == std::string::npos
             ? "unavailable"
             : line.substr(open + 1, close - open - 1);
}

Result<Region> Region::Map(size_t bytes, PageMode mode) {
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
  if (mode == PageMode::kHugeTlb) flags |= MAP_HUGETLB;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (p == MAP_FAILED) {
    if (mode == PageMode::kHugeTlb) {
      return Status::Error(std::string("MAP_HUGETLB: ") + std::strerror(errno) +
                           ": no huge pages reserved (sudo sysctl vm.nr_hugepages=" +
                           std::to_string(bytes >> 21) + " reserves enough 2 MiB pages)");
    }
    return Status::Error(std::string("mmap: ") + std::strerror(errno));
  }
  madvise(p, bytes, mode == PageMode::kTransparentHuge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  std::memset(p, 1, bytes);
  return Region(static_cast<uint8_t*>(p), bytes);
}

Region::Region(Region&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
}

Region::~Region() {
  if (data_ != nullptr) munmap(data_, size_);
}

int64_t Region::GrantedHugeBytes() const {
  std::ifstream smaps("/proc/self/smaps");
  const auto start = reinterpret_cast<uintptr_t>(data_);
  bool mine = false;
  int64_t huge_kb = 0;
  for (std::string line; std::getline(smaps, line);) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> lo >> dash >> hi && dash == '-') {
      mine = lo <= start && start < hi;  // a new mapping's header line
      continue;
    }
    if (mine && line.rfind("AnonHugePages:", 0) == 0) huge_kb += std::atoll(line.c_str() + 14);
  }
  return huge_kb * 1024;
}

}  // namespace perfkit::platform
