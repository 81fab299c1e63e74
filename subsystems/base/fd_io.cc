#include "subsystems/base/fd_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace perfkit {
namespace {

template <typename Call, typename Byte>
bool Full(Call call, int fd, Byte* p, size_t n) {
  while (n > 0) {
    const ssize_t moved = call(fd, p, n);
    if (moved < 0 && errno == EINTR) continue;
    if (moved <= 0) return false;
    p += moved;
    n -= static_cast<size_t>(moved);
  }
  return true;
}

}  // namespace

bool ReadFull(int fd, void* data, size_t n) {
  return Full(read, fd, static_cast<uint8_t*>(data), n);
}

bool WriteFull(int fd, const void* data, size_t n) {
  return Full(write, fd, static_cast<const uint8_t*>(data), n);
}

}  // namespace perfkit
