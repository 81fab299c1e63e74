#include "app/checksum.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "subsystems/crc32/crc32.h"

namespace perfkit::app {

Result<Digest> Checksum(const ChecksumRequest& request) {
  const crc32::Kind kind = request.algo == "crc32" ? crc32::Kind::kCrc32 : crc32::Kind::kCrc32c;
  const std::string& path = request.path;
  const bool stdin_input = path == "-";
  std::FILE* f = stdin_input ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::Error("cannot read '" + path + "': " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  Digest d;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) {
    d.crc = crc32::Compute(kind, d.crc, buffer.data(), n);
    d.bytes += n;
  }
  const bool failed = std::ferror(f);
  const int err = errno;
  if (!stdin_input) std::fclose(f);
  if (failed) return Status::Error("cannot read '" + path + "': " + std::strerror(err));
  return d;
}

}  // namespace perfkit::app
