// `perfkit checksum`: CRC-32 or CRC-32C of files, like cksum.
#pragma once

#include <string>
#include <vector>

namespace perfkit::cli {

struct ChecksumOptions {
  std::string algo = "crc32c";
  std::vector<std::string> files;  // empty or "-": standard input
};

int RunChecksum(const ChecksumOptions& options);

}  // namespace perfkit::cli
