// Memory with a chosen page size: 4 KiB pages, transparent huge pages asked
// for with madvise (and proved granted from /proc/self/smaps, since the
// kernel may decline), or MAP_HUGETLB from the reserved pool; and what the
// machine has reserved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::platform {

enum class PageMode { kSmall, kTransparentHuge, kHugeTlb };
const char* PageModeName(PageMode mode);  // 4k, thp, hugetlb

struct HugePageSize {
  int64_t bytes = 0;
  int64_t reserved = 0;  // nr_hugepages
  int64_t free = 0;
};

// /sys/kernel/mm/hugepages under `root`, and the THP mode ("madvise", ...).
std::vector<HugePageSize> ReadHugePages(const std::string& root = "/");
std::string TransparentHugePageMode(const std::string& root = "/");

class Region {
 public:
  // Every page touched, so the run measures access, not faults. MAP_HUGETLB
  // fails with the sysctl that would reserve pages; THP that is refused
  // still maps (granted_huge_bytes says how much the kernel gave).
  static Result<Region> Map(size_t bytes, PageMode mode);
  Region(Region&& other) noexcept;
  Region& operator=(Region&&) = delete;
  ~Region();
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // AnonHugePages of this mapping, from /proc/self/smaps.
  int64_t GrantedHugeBytes() const;

 private:
  Region(uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t* data_;
  size_t size_;
};

}  // namespace perfkit::platform
