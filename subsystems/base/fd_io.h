// Whole reads and writes on a descriptor: retried on EINTR and on short
// transfers, so pipes and sockets move exactly what was asked or fail.
#pragma once

#include <cstddef>

namespace perfkit {

// False on end of file or an error before all n bytes moved.
bool ReadFull(int fd, void* data, size_t n);
bool WriteFull(int fd, const void* data, size_t n);

}  // namespace perfkit
