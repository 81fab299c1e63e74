// A zero-copy channel between two processes in the shape of io_uring: in
// one memfd mapping, a submission ring of 64-byte entries, a completion
// ring of 16-byte entries and a pool of buffers in three size classes (4 KiB,
// 64 KiB, 1 MiB). The sender takes a buffer, writes into it and submits
// {buffer, offset, length, user data}; the receiver reads the payload where
// it lies and completes; the completion returns the buffer to the pool (the
// pool is the sender's alone). The receiver trusts nothing it reads from
// the mapping: every entry and index is checked before use.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/rings/spsc_ring.h"
#include "subsystems/rings/wait.h"

namespace perfkit::rings {

inline constexpr size_t kBufferClasses = 3;
inline constexpr size_t kClassBytes[kBufferClasses] = {4096, 65536, 1 << 20};

struct ChannelConfig {
  uint32_t sq_entries = 256;  // powers of two
  uint32_t cq_entries = 512;
  uint32_t buffers[kBufferClasses] = {64, 16, 4};
};

enum class Opcode : uint32_t { kData = 1, kPing = 2, kStop = 3 };

struct Sqe {  // 64 bytes, one cache line
  uint32_t opcode;
  uint32_t buffer_id;
  uint64_t offset;
  uint64_t length;
  uint64_t user_data;
  uint8_t reserved[32];
};
static_assert(sizeof(Sqe) == 64);

struct Cqe {  // 16 bytes
  uint64_t user_data;
  int32_t result;
  uint32_t flags;
};
static_assert(sizeof(Cqe) == 16);

// A buffer the sender holds between AcquireBuffer and Submit.
struct Buffer {
  uint32_t id = 0;
  uint8_t* data = nullptr;
  size_t size = 0;
};

// What the receiver got: the payload in place, valid until Complete.
struct Request {
  Opcode opcode = Opcode::kPing;
  const uint8_t* data = nullptr;
  size_t length = 0;
  uint64_t user_data = 0;
  uint32_t buffer_id = UINT32_MAX;  // none for control requests
};

struct Layout;  // offsets of the rings and buffers in the mapping

using Deadline = std::chrono::steady_clock::time_point;

class ChannelSender {
 public:
  // A new memfd mapping; `fd()` is what the receiver attaches to.
  static Result<std::unique_ptr<ChannelSender>> Create(const ChannelConfig& config);
  ~ChannelSender();

  int fd() const { return fd_; }
  void WatchPeer(pid_t pid) { peer_ = PeerWatch(pid); }

  // The smallest free buffer of at least `bytes`; waits for completions
  // when the pool is empty (TryAcquire does not).
  Result<Buffer> AcquireBuffer(size_t bytes, Deadline deadline);
  Result<Buffer> TryAcquireBuffer(size_t bytes);
  // Submits `length` bytes at `offset` of the buffer; the buffer is the
  // receiver's until its completion is reaped.
  Status Submit(const Buffer& buffer, uint64_t offset, uint64_t length, uint64_t user_data,
                Deadline deadline);
  Status SubmitControl(Opcode opcode, uint64_t user_data, Deadline deadline);
  // The next completion; frees its buffer. Fails on one that names nothing
  // in flight.
  Result<Cqe> WaitCompletion(Deadline deadline);
  size_t in_flight() const { return in_flight_; }
  const WaitStats& wait_stats() const { return stats_; }

 private:
  ChannelSender() = default;
  Status Push(const Sqe& sqe, Deadline deadline);

  int fd_ = -1;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  std::unique_ptr<Layout> layout_;
  std::vector<uint32_t> free_[kBufferClasses];
  std::vector<uint8_t> busy_;  // per buffer id: submitted, not yet completed
  size_t in_flight_ = 0;
  PeerWatch peer_;
  WaitStats stats_;
};

class ChannelReceiver {
 public:
  // Maps the sender's memfd; the geometry is read once and checked against
  // the mapping's real size.
  static Result<std::unique_ptr<ChannelReceiver>> Attach(int fd, pid_t sender);
  ~ChannelReceiver();

  // The next request, checked: a buffer that exists, a range inside it, a
  // known opcode. A corrupt entry is an error naming what is wrong.
  Result<Request> Next(Deadline deadline);
  // Hands the request's buffer back with a result, in any order.
  Status Complete(const Request& request, int32_t result, Deadline deadline);
  const WaitStats& wait_stats() const { return stats_; }

 private:
  ChannelReceiver() = default;
  Result<Request> Check(const Sqe& sqe) const;

  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  std::unique_ptr<Layout> layout_;
  PeerWatch peer_;
  WaitStats stats_;
};

// The payload check both ends of a transfer agree on: every 8-byte word
// read once (what "reading the payload" costs the receiver).
uint64_t Fold64(const uint8_t* data, size_t length);

}  // namespace perfkit::rings
