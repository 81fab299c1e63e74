// Reading a file at a queue depth, five ways: blocking pread, a pool of
// threads doing pread, Linux native AIO (io_submit, raw system calls), and
// io_uring through liburing with registered buffers, a fixed file and
// batched submission, with or without a kernel polling thread (SQPOLL).
// Every read's latency is kept, from submission to completion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::aio {

enum class EngineKind { kPread, kThreadPool, kLinuxAio, kUring, kUringSqpoll };
const char* EngineName(EngineKind kind);  // pread, threadpool, aio, uring, uring-sqpoll

struct ReadPlan {
  int fd = -1;
  size_t block = 4096;            // bytes per read; a multiple of 4096 with O_DIRECT
  std::vector<uint64_t> offsets;  // one read each, block-aligned
};

struct ReadStats {
  uint64_t bytes = 0;
  double seconds = 0;
  std::vector<uint32_t> latency_ns;  // one per read, in completion order
};

class ReadEngine {
 public:
  virtual ~ReadEngine() = default;
  virtual Result<ReadStats> Run(const ReadPlan& plan) = 0;
};

// `depth` reads in flight (threads for the pool; 1 for pread). Fails with
// the reason when the kernel or a policy refuses the engine here (no
// io_uring, io_uring_disabled, seccomp, SQPOLL without privilege).
Result<std::unique_ptr<ReadEngine>> MakeEngine(EngineKind kind, unsigned depth, size_t block);

// A file of `bytes` filled with data (never sparse), flushed, and dropped
// from the page cache where the kernel allows it.
Status WriteTestFile(const std::string& path, size_t bytes);

struct OpenedFile {
  int fd = -1;
  bool direct = false;  // O_DIRECT in effect
  std::string note;     // why not, when not
};
// O_DIRECT where the file system allows it, else buffered and said so.
Result<OpenedFile> OpenForReading(const std::string& path);

// Nanoseconds at percentile p (0..100) of the latencies.
double Percentile(std::vector<uint32_t> latency_ns, double p);

}  // namespace perfkit::aio
