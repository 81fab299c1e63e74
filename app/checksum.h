// `perfkit checksum`: the CRC-32C (or CRC-32) of a file or standard input,
// through the engine perfkit's dispatch picks on this CPU.
#pragma once

#include <cstdint>
#include <string>

#include "subsystems/base/status.h"

namespace perfkit::app {

struct ChecksumRequest {
  std::string algo = "crc32c";  // or "crc32" (zlib's)
  std::string path;             // "-": standard input
};
struct Digest {
  uint32_t crc = 0;
  uint64_t bytes = 0;
};
Result<Digest> Checksum(const ChecksumRequest& request);

}  // namespace perfkit::app
