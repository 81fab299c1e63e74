// virtio-blk's requests (VIRTIO 1.2, 5.2) served from a file: a 16-byte
// header (type, reserved, sector) in the readable part of a chain, the data,
// and a status byte at the very end of the writable part. Reads, writes,
// flushes and the device id; anything else is "unsupported", and a request
// outside the disk, misaligned, or on a malformed chain is an I/O error,
// never an access outside the chain's own buffers.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/virtio/device_queue.h"

namespace perfkit::virtio {

inline constexpr int kBlkFeatureSegMax = 2;
inline constexpr int kBlkFeatureBlkSize = 6;
inline constexpr int kBlkFeatureFlush = 9;
inline constexpr int kBlkFeatureMq = 12;

inline constexpr uint32_t kBlkIn = 0;
inline constexpr uint32_t kBlkOut = 1;
inline constexpr uint32_t kBlkFlush = 4;
inline constexpr uint32_t kBlkGetId = 8;

inline constexpr uint8_t kBlkOk = 0;
inline constexpr uint8_t kBlkIoErr = 1;
inline constexpr uint8_t kBlkUnsupported = 2;

inline constexpr uint32_t kSector = 512;

struct BlkStats {
  uint64_t reads = 0, writes = 0, flushes = 0, errors = 0;
};

class BlkBackend {
 public:
  // O_DIRECT where the file system allows it (bounce buffers then cover a
  // guest buffer that is not sector-aligned).
  static Result<BlkBackend> Open(const std::string& path);
  BlkBackend(BlkBackend&& other) noexcept;
  BlkBackend& operator=(BlkBackend&&) = delete;
  ~BlkBackend();

  // Serves one request; returns the bytes written into the chain's writable
  // part (what the used element reports). `chain.error` set: completed as
  // an I/O error if the chain has a status byte to say so. Safe to call
  // from several queues' threads at once.
  uint32_t Handle(const Chain& chain);

  uint64_t capacity_sectors() const { return bytes_ / kSector; }
  bool direct() const { return direct_; }
  // virtio_blk_config's first `size` bytes (capacity, seg_max, blk_size,
  // num_queues; the rest zero).
  std::vector<uint8_t> Config(uint32_t seg_max, uint16_t num_queues, size_t size) const;
  BlkStats stats() const;

 private:
  BlkBackend(int fd, uint64_t bytes, bool direct) : fd_(fd), bytes_(bytes), direct_(direct) {}
  uint8_t Transfer(bool write, uint64_t offset, const std::vector<Segment>& data);
  int fd_;
  uint64_t bytes_;
  bool direct_;
  struct Counts {
    std::atomic<uint64_t> reads{0}, writes{0}, flushes{0}, errors{0};
  };
  Counts counts_;
};

}  // namespace perfkit::virtio
