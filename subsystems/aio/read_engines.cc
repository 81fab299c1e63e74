#include "subsystems/aio/read_engines.h"

#include <fcntl.h>
#include <liburing.h>
#include <linux/aio_abi.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace perfkit::aio {
namespace {

using Clock = std::chrono::steady_clock;

uint32_t NanosSince(Clock::time_point start) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
  return static_cast<uint32_t>(std::min<int64_t>(ns.count(), UINT32_MAX));
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Buffers aligned for O_DIRECT, one per read in flight.
class Buffers {
 public:
  Buffers(unsigned count, size_t block) : block_(block) {
    for (unsigned i = 0; i < count; ++i) {
      void* p = nullptr;
      if (posix_memalign(&p, 4096, block) == 0) {
        std::memset(p, 0, block);
        data_.push_back(static_cast<uint8_t*>(p));
      }
    }
  }
  ~Buffers() {
    for (uint8_t* p : data_) std::free(p);
  }
  bool ok(unsigned count) const { return data_.size() == count; }
  uint8_t* operator[](size_t i) const { return data_[i]; }
  size_t block() const { return block_; }
  size_t size() const { return data_.size(); }

 private:
  size_t block_;
  std::vector<uint8_t*> data_;
};

Status ShortRead(ssize_t got, size_t want, uint64_t offset) {
  if (got < 0)
    return Status::Error("read at " + std::to_string(offset) + ": " + std::strerror(errno));
  return Status::Error("short read at " + std::to_string(offset) + ": " + std::to_string(got) +
                       " of " + std::to_string(want) + " bytes");
}

class PreadEngine : public ReadEngine {
 public:
  explicit PreadEngine(size_t block) : buffers_(1, block) {}
  Result<ReadStats> Run(const ReadPlan& plan) override {
    ReadStats stats;
    stats.latency_ns.reserve(plan.offsets.size());
    const auto start = Clock::now();
    for (uint64_t offset : plan.offsets) {
      const auto t = Clock::now();
      const ssize_t got = pread(plan.fd, buffers_[0], plan.block, static_cast<off_t>(offset));
      if (got != static_cast<ssize_t>(plan.block)) return ShortRead(got, plan.block, offset);
      stats.latency_ns.push_back(NanosSince(t));
    }
    stats.seconds = Seconds(start);
    stats.bytes = plan.offsets.size() * plan.block;
    return stats;
  }

 private:
  Buffers buffers_;
};

// `depth` threads take reads from a shared cursor, each its own buffer.
class ThreadPoolEngine : public ReadEngine {
 public:
  ThreadPoolEngine(unsigned threads, size_t block) : threads_(threads), buffers_(threads, block) {}
  Result<ReadStats> Run(const ReadPlan& plan) override {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::vector<uint32_t>> latencies(threads_);
    const auto start = Clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads_; ++t) {
      pool.emplace_back([&, t] {
        for (size_t i; (i = next.fetch_add(1)) < plan.offsets.size() && !failed;) {
          const auto begin = Clock::now();
          const ssize_t got =
              pread(plan.fd, buffers_[t], plan.block, static_cast<off_t>(plan.offsets[i]));
          if (got != static_cast<ssize_t>(plan.block)) failed = true;
          latencies[t].push_back(NanosSince(begin));
        }
      });
    }
    for (auto& thread : pool) thread.join();
    if (failed) return Status::Error("a read failed or came up short");
    ReadStats stats;
    stats.seconds = Seconds(start);
    stats.bytes = plan.offsets.size() * plan.block;
    for (auto& l : latencies) stats.latency_ns.insert(stats.latency_ns.end(), l.begin(), l.end());
    return stats;
  }

 private:
  unsigned threads_;
  Buffers buffers_;
};

// Linux native AIO through its system calls (no libaio).
class LinuxAioEngine : public ReadEngine {
 public:
  LinuxAioEngine(unsigned depth, size_t block) : depth_(depth), buffers_(depth, block) {}
  ~LinuxAioEngine() override {
    if (ctx_ != 0) syscall(SYS_io_destroy, ctx_);
  }
  Status Init() {
    if (!buffers_.ok(depth_)) return Status::Error("cannot allocate the read buffers");
    if (syscall(SYS_io_setup, depth_, &ctx_) != 0) {
      return Status::Error(std::string("io_setup: ") + std::strerror(errno));
    }
    return OkStatus();
  }
  Result<ReadStats> Run(const ReadPlan& plan) override {
    ReadStats stats;
    std::vector<iocb> cbs(depth_);
    std::vector<Clock::time_point> started(depth_);
    std::vector<unsigned> free_slots;
    for (unsigned i = 0; i < depth_; ++i) free_slots.push_back(i);
    std::vector<iocb*> batch;
    std::vector<io_event> events(depth_);
    size_t next = 0, done = 0;
    const auto start = Clock::now();
    while (done < plan.offsets.size()) {
      batch.clear();
      while (!free_slots.empty() && next < plan.offsets.size()) {
        const unsigned slot = free_slots.back();
        free_slots.pop_back();
        iocb& cb = cbs[slot];
        cb = iocb{};
        cb.aio_lio_opcode = IOCB_CMD_PREAD;
        cb.aio_fildes = static_cast<uint32_t>(plan.fd);
        cb.aio_buf = reinterpret_cast<uint64_t>(buffers_[slot]);
        cb.aio_nbytes = plan.block;
        cb.aio_offset = static_cast<int64_t>(plan.offsets[next++]);
        cb.aio_data = slot;
        started[slot] = Clock::now();
        batch.push_back(&cb);
      }
      if (!batch.empty() && syscall(SYS_io_submit, ctx_, static_cast<long>(batch.size()),
                                    batch.data()) != static_cast<long>(batch.size())) {
        return Status::Error(std::string("io_submit: ") + std::strerror(errno));
      }
      const long got =
          syscall(SYS_io_getevents, ctx_, 1, static_cast<long>(depth_), events.data(), nullptr);
      if (got < 0 && errno != EINTR) {
        return Status::Error(std::string("io_getevents: ") + std::strerror(errno));
      }
      for (long i = 0; i < got; ++i) {
        const auto slot = static_cast<unsigned>(events[i].data);
        if (events[i].res != static_cast<int64_t>(plan.block)) {
          return Status::Error("an AIO read returned " + std::to_string(events[i].res));
        }
        stats.latency_ns.push_back(NanosSince(started[slot]));
        free_slots.push_back(slot);
        ++done;
      }
    }
    stats.seconds = Seconds(start);
    stats.bytes = plan.offsets.size() * plan.block;
    return stats;
  }

 private:
  unsigned depth_;
  Buffers buffers_;
  aio_context_t ctx_ = 0;
};

// io_uring: buffers registered once (no page pinning per read), the file
// registered (no fd lookup per read), every free slot filled before one
// submit, and completions reaped in batches.
class UringEngine : public ReadEngine {
 public:
  UringEngine(unsigned depth, size_t block, bool sqpoll)
      : depth_(depth), sqpoll_(sqpoll), buffers_(depth, block) {}
  ~UringEngine() override {
    if (ready_) io_uring_queue_exit(&ring_);
  }
  Status Init() {
    if (!buffers_.ok(depth_)) return Status::Error("cannot allocate the read buffers");
    io_uring_params params{};
    if (sqpoll_) {
      params.flags = IORING_SETUP_SQPOLL;
      params.sq_thread_idle = 100;  // ms the kernel thread polls before sleeping
    }
    const int rc = io_uring_queue_init_params(depth_, &ring_, &params);
    if (rc < 0) {
      return Status::Error(
          std::string(sqpoll_ ? "io_uring with SQPOLL" : "io_uring") +
          " is not available here: " + std::strerror(-rc) +
          (rc == -EPERM ? " (kernel.io_uring_disabled, or a seccomp policy)" : ""));
    }
    ready_ = true;
    std::vector<iovec> iov(depth_);
    for (unsigned i = 0; i < depth_; ++i) iov[i] = {buffers_[i], buffers_.block()};
    if (const int r = io_uring_register_buffers(&ring_, iov.data(), depth_); r < 0) {
      return Status::Error(std::string("io_uring_register_buffers: ") + std::strerror(-r));
    }
    // One empty fixed-file slot, filled per run by an update: unregistering
    // a table waits for the ring to go quiet, which with SQPOLL is a wait on
    // the kernel's thread, and a run must never wait on what it cannot see.
    const int empty = -1;
    if (const int r = io_uring_register_files(&ring_, &empty, 1); r < 0) {
      return Status::Error(std::string("io_uring_register_files: ") + std::strerror(-r));
    }
    return OkStatus();
  }
  Result<ReadStats> Run(const ReadPlan& plan) override {
    int fd = plan.fd;
    if (const int r = io_uring_register_files_update(&ring_, 0, &fd, 1); r < 0) {
      return Status::Error(std::string("io_uring_register_files_update: ") + std::strerror(-r));
    }
    auto result = Drive(plan);
    if (!result.ok()) Drain();
    fd = -1;
    io_uring_register_files_update(&ring_, 0, &fd, 1);
    return result;
  }

 private:
  Result<ReadStats> Drive(const ReadPlan& plan) {
    ReadStats stats;
    std::vector<Clock::time_point> started(depth_);
    std::vector<unsigned> free_slots;
    for (unsigned i = 0; i < depth_; ++i) free_slots.push_back(i);
    size_t next = 0, done = 0;
    const auto start = Clock::now();
    while (done < plan.offsets.size()) {
      while (!free_slots.empty() && next < plan.offsets.size()) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (sqe == nullptr) break;
        const unsigned slot = free_slots.back();
        free_slots.pop_back();
        io_uring_prep_read_fixed(sqe, 0, buffers_[slot], static_cast<unsigned>(plan.block),
                                 plan.offsets[next++], static_cast<int>(slot));
        sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(sqe, slot);
        started[slot] = Clock::now();
        ++in_flight_;
      }
      if (Status s = WaitForOne(); !s.ok()) return s;
      io_uring_cqe* cqe = nullptr;
      unsigned head, seen = 0, completed = 0;
      Status failed = OkStatus();
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        // Kernels before 5.11 time a wait out with an entry of liburing's own.
        if (cqe->user_data == LIBURING_UDATA_TIMEOUT) continue;
        const auto slot = static_cast<unsigned>(io_uring_cqe_get_data64(cqe));
        if (cqe->res != static_cast<int>(plan.block) && failed.ok()) {
          failed = Status::Error(
              "an io_uring read returned " + std::to_string(cqe->res) +
              (cqe->res < 0 ? std::string(" (") + std::strerror(-cqe->res) + ")" : ""));
        }
        stats.latency_ns.push_back(NanosSince(started[slot]));
        free_slots.push_back(slot);
        ++completed;
      }
      io_uring_cq_advance(&ring_, seen);
      done += completed;
      in_flight_ -= completed;
      if (!failed.ok()) return failed;
    }
    stats.seconds = Seconds(start);
    stats.bytes = plan.offsets.size() * plan.block;
    return stats;
  }

  // Submits what is queued and waits for a completion in slices, so that a
  // polling thread that went to sleep is woken again and a ring that stops
  // completing is an error, not a hang (a busy CI machine met one).
  Status WaitForOne() {
    constexpr auto kGiveUp = std::chrono::seconds(30);
    const auto since = Clock::now();
    for (;;) {
      __kernel_timespec slice{0, 200'000'000};
      io_uring_cqe* cqe = nullptr;
      const int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &slice, nullptr);
      if (rc >= 0 || cqe != nullptr) return OkStatus();
      if (rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
        return Status::Error(std::string("io_uring_submit: ") + std::strerror(-rc));
      if (Clock::now() - since > kGiveUp) {
        return Status::Error("io_uring: no read completed in 30 s with " +
                             std::to_string(in_flight_) + " in flight");
      }
      // liburing wakes the polling thread only when it has new entries; a
      // thread asleep with work in hand is woken here.
      if (sqpoll_) io_uring_enter(ring_.ring_fd, 0, 0, IORING_ENTER_SQ_WAKEUP, nullptr);
    }
  }

  // After a failed run, what is still in flight is reaped (for a bounded
  // time) so the next run does not see this one's completions.
  void Drain() {
    const auto since = Clock::now();
    while (in_flight_ > 0 && Clock::now() - since < std::chrono::seconds(5)) {
      __kernel_timespec slice{0, 100'000'000};
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe_timeout(&ring_, &cqe, &slice) == 0 && cqe != nullptr) {
        io_uring_cqe_seen(&ring_, cqe);
        --in_flight_;
      } else if (sqpoll_) {
        io_uring_enter(ring_.ring_fd, 0, 0, IORING_ENTER_SQ_WAKEUP, nullptr);
      }
    }
  }

  unsigned depth_;
  bool sqpoll_;
  Buffers buffers_;
  io_uring ring_{};
  bool ready_ = false;
  unsigned in_flight_ = 0;
};

}  // namespace

const char* EngineName(EngineKind kind) {
  switch (kind) {
    case EngineKind::kPread:
      return "pread";
    case EngineKind::kThreadPool:
      return "threadpool";
    case EngineKind::kLinuxAio:
      return "aio";
    case EngineKind::kUring:
      return "uring";
    case EngineKind::kUringSqpoll:
      break;
  }
  return "uring-sqpoll";
}

Result<std::unique_ptr<ReadEngine>> MakeEngine(EngineKind kind, unsigned depth, size_t block) {
  if (depth == 0) return Status::InvalidArgument("queue depth 0");
  switch (kind) {
    case EngineKind::kPread:
      return std::unique_ptr<ReadEngine>(new PreadEngine(block));
    case EngineKind::kThreadPool:
      return std::unique_ptr<ReadEngine>(new ThreadPoolEngine(depth, block));
    case EngineKind::kLinuxAio: {
      auto e = std::make_unique<LinuxAioEngine>(depth, block);
      if (Status s = e->Init(); !s.ok()) return s;
      return std::unique_ptr<ReadEngine>(std::move(e));
    }
    case EngineKind::kUring:
    case EngineKind::kUringSqpoll: {
      auto e = std::make_unique<UringEngine>(depth, block, kind == EngineKind::kUringSqpoll);
      if (Status s = e->Init(); !s.ok()) return s;
      return std::unique_ptr<ReadEngine>(std::move(e));
    }
  }
  return Status::InvalidArgument("unknown engine");
}

Status WriteTestFile(const std::string& path, size_t bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Error("cannot create '" + path + "': " + std::strerror(errno));
  std::vector<uint8_t> chunk(1 << 20);
  uint64_t x = 0x9e3779b97f4a7c15;
  for (size_t written = 0; written < bytes;) {
    for (size_t i = 0; i < chunk.size(); i += 8) {  // incompressible, never zero pages
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      std::memcpy(&chunk[i], &x, 8);
    }
    const size_t n = std::min(chunk.size(), bytes - written);
    if (write(fd, chunk.data(), n) != static_cast<ssize_t>(n)) {
      const std::string why = std::strerror(errno);
      close(fd);
      return Status::Error("cannot write '" + path + "': " + why);
    }
    written += n;
  }
  fsync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // clean pages leave the page cache
  close(fd);
  return OkStatus();
}

Result<OpenedFile> OpenForReading(const std::string& path) {
  OpenedFile f;
  f.fd = open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  f.direct = f.fd >= 0;
  if (f.fd < 0) {
    f.note = std::string("O_DIRECT refused here (") + std::strerror(errno) +
             "): buffered reads, served from the page cache once read";
    f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (f.fd < 0) return Status::Error("cannot open '" + path + "': " + std::strerror(errno));
  return f;
}

double Percentile(std::vector<uint32_t> latency_ns, double p) {
  if (latency_ns.empty()) return 0;
  const size_t k =
      std::min(latency_ns.size() - 1,
               static_cast<size_t>(p / 100.0 * static_cast<double>(latency_ns.size())));
  std::nth_element(latency_ns.begin(), latency_ns.begin() + static_cast<long>(k), latency_ns.end());
  return latency_ns[k];
}

}  // namespace perfkit::aio
