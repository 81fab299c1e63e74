#include "subsystems/power/bandwidth.h"

#include "subsystems/power/sysfs.h"

namespace perfkit::power {

Result<uint64_t> ReadMbmTotalBytes() {
  const std::string dir = UnderRoot("/sys/fs/resctrl/mon_data");
  uint64_t total = 0;
  int domains = 0;
  for (const std::string& d : ListDir(dir)) {
    if (d.rfind("mon_L3_", 0) != 0) continue;
    auto bytes = ReadUnsigned(dir + "/" + d + "/mbm_total_bytes");
    if (!bytes.ok()) return bytes.status();
    total += *bytes;
    ++domains;
  }
  if (domains == 0) return Status::Error("no resctrl memory bandwidth monitoring (" + dir + ")");
  return total;
}

}  // namespace perfkit::power
