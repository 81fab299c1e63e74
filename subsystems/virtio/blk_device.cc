#include "subsystems/virtio/blk_device.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace perfkit::virtio {
namespace {

constexpr size_t kAlign = 4096;
constexpr char kDeviceId[] = "perfkit-virtio-blk";  // at most 20 bytes, per the specification

// Copies up to n bytes from the start of the chain's readable part.
size_t Gather(const std::vector<Segment>& segments, uint8_t* out, size_t n) {
  size_t got = 0;
  for (const Segment& s : segments) {
    if (s.writable || got == n) break;
    const size_t take = std::min<size_t>(s.len, n - got);
    std::memcpy(out + got, s.data, take);
    got += take;
  }
  return got;
}

bool Aligned(const std::vector<Segment>& segments) {
  return std::all_of(segments.begin(), segments.end(), [](const Segment& s) {
    return reinterpret_cast<uintptr_t>(s.data) % kSector == 0 && s.len % kSector == 0;
  });
}

// preadv/pwritev until done: a short transfer continues where it stopped.
bool TransferAll(int fd, bool write, uint64_t offset, std::vector<iovec> iov) {
  size_t first = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    const ssize_t n = write ? pwritev(fd, &iov[first], count, static_cast<off_t>(offset))
                            : preadv(fd, &iov[first], count, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    offset += static_cast<uint64_t>(n);
    for (size_t left = static_cast<size_t>(n); left > 0 && first < iov.size();) {
      const size_t take = std::min(left, iov[first].iov_len);
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + take;
      iov[first].iov_len -= take;
      left -= take;
      if (iov[first].iov_len == 0) ++first;
    }
  }
  return true;
}

}  // namespace

Result<BlkBackend> BlkBackend::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_DIRECT);
  bool direct = fd >= 0;
  if (fd < 0 && errno == EINVAL) fd = open(path.c_str(), O_RDWR | O_CLOEXEC);  // tmpfs
  if (fd < 0) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < static_cast<off_t>(kSector)) {
    close(fd);
    return Status::Error(path + " is not a regular file of at least one sector");
  }
  return BlkBackend(fd, static_cast<uint64_t>(st.st_size) / kSector * kSector, direct);
}

BlkBackend::BlkBackend(BlkBackend&& other) noexcept
    : fd_(other.fd_), bytes_(other.bytes_), direct_(other.direct_) {
  const BlkStats s = other.stats();
  counts_.reads = s.reads;
  counts_.writes = s.writes;
  counts_.flushes = s.flushes;
  counts_.errors = s.errors;
  other.fd_ = -1;
}

BlkStats BlkBackend::stats() const {
  return {counts_.reads.load(), counts_.writes.load(), counts_.flushes.load(),
          counts_.errors.load()};
}

BlkBackend::~BlkBackend() {
  if (fd_ >= 0) close(fd_);
}

std::vector<uint8_t> BlkBackend::Config(uint32_t seg_max, uint16_t num_queues, size_t size) const {
  std::vector<uint8_t> c(std::max<size_t>(size, 36), 0);
  const uint64_t capacity = capacity_sectors();
  const uint32_t blk_size = kSector;
  std::memcpy(&c[0], &capacity, 8);     // capacity, in 512-byte sectors
  std::memcpy(&c[12], &seg_max, 4);     // seg_max
  std::memcpy(&c[20], &blk_size, 4);    // blk_size
  std::memcpy(&c[34], &num_queues, 2);  // num_queues
  c.resize(size);
  return c;
}

uint8_t BlkBackend::Transfer(bool write, uint64_t offset, const std::vector<Segment>& data) {
  size_t total = 0;
  for (const Segment& s : data) total += s.len;
  if (total % kSector != 0 || offset > bytes_ || total > bytes_ - offset) return kBlkIoErr;
  if (total == 0) return kBlkOk;
  if (!direct_ || Aligned(data)) {
    std::vector<iovec> iov;
    iov.reserve(data.size());
    for (const Segment& s : data) iov.push_back({s.data, s.len});
    return TransferAll(fd_, write, offset, std::move(iov)) ? kBlkOk : kBlkIoErr;
  }
  // O_DIRECT wants aligned memory: go through a bounce buffer.
  void* bounce = std::aligned_alloc(kAlign, (total + kAlign - 1) / kAlign * kAlign);
  if (bounce == nullptr) return kBlkIoErr;
  auto* b = static_cast<uint8_t*>(bounce);
  if (write) {
    size_t at = 0;
    for (const Segment& s : data) std::memcpy(b + at, s.data, s.len), at += s.len;
  }
  const bool ok = TransferAll(fd_, write, offset, {{b, total}});
  if (ok && !write) {
    size_t at = 0;
    for (const Segment& s : data) std::memcpy(s.data, b + at, s.len), at += s.len;
  }
  std::free(bounce);
  return ok ? kBlkOk : kBlkIoErr;
}

uint32_t BlkBackend::Handle(const Chain& chain) {
  // The status byte: the last byte of the last writable segment.
  const Segment* last = chain.segments.empty() ? nullptr : &chain.segments.back();
  if (last == nullptr || !last->writable) {
    ++counts_.errors;
    return 0;  // nowhere to say anything: hand the buffers back untouched
  }
  uint8_t* status = last->data + last->len - 1;
  if (!chain.error.empty()) {
    ++counts_.errors;
    *status = kBlkIoErr;
    return 1;
  }
  struct {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
  } header{};
  static_assert(sizeof(header) == 16);
  if (Gather(chain.segments, reinterpret_cast<uint8_t*>(&header), sizeof header) != sizeof header) {
    ++counts_.errors;
    *status = kBlkIoErr;
    return 1;
  }
  // The data: readable bytes after the header, or writable bytes before the
  // status byte.
  std::vector<Segment> data;
  size_t skip = sizeof header;
  for (const Segment& s : chain.segments) {
    Segment part = s;
    if (&s == last) --part.len;  // the status byte is not data
    if (!s.writable && skip > 0) {
      const size_t drop = std::min<size_t>(skip, part.len);
      part.data += drop;
      part.len -= static_cast<uint32_t>(drop);
      skip -= drop;
    }
    if (part.len > 0) data.push_back(part);
  }
  const auto only = [&](bool writable) {
    return std::all_of(data.begin(), data.end(),
                       [&](const Segment& s) { return s.writable == writable; });
  };
  uint8_t result = kBlkUnsupported;
  uint32_t written = 0;
  switch (header.type) {
    case kBlkIn:
      if (!only(true) || header.sector > UINT64_MAX / kSector) {
        result = kBlkIoErr;
        break;
      }
      result = Transfer(false, header.sector * kSector, data);
      if (result == kBlkOk) {
        for (const Segment& s : data) written += s.len;
      }
      ++counts_.reads;
      break;
    case kBlkOut:
      result = !only(false) || header.sector > UINT64_MAX / kSector
                   ? kBlkIoErr
                   : Transfer(true, header.sector * kSector, data);
      ++counts_.writes;
      break;
    case kBlkFlush:
      result = fdatasync(fd_) == 0 ? kBlkOk : kBlkIoErr;
      ++counts_.flushes;
      break;
    case kBlkGetId: {
      size_t at = 0;
      for (const Segment& s : data) {
        if (!s.writable) continue;
        const size_t take = std::min<size_t>(s.len, sizeof kDeviceId - at);
        std::memcpy(s.data, kDeviceId + at, take);
        at += take;
      }
      written = static_cast<uint32_t>(at);
      result = kBlkOk;
      break;
    }
    default:
      break;
  }
  if (result != kBlkOk) ++counts_.errors;
  *status = result;
  return written + 1;
}

}  // namespace perfkit::virtio
