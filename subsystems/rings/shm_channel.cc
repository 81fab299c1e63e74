#include "subsystems/rings/shm_channel.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace perfkit::rings {
namespace {

constexpr uint64_t kMagic = 0x31304752494b5050;  // "PPKIRG01"
constexpr uint32_t kNoBuffer = UINT32_MAX;
constexpr size_t kPage = 4096;
constexpr uint32_t kMaxEntries = 1 << 16;
constexpr uint32_t kMaxBuffers = 4096;

// The first page: the geometry, then one waiter per side on its own line.
struct Control {
  uint64_t magic;
  uint32_t sq_entries;
  uint32_t cq_entries;
  uint32_t buffers[kBufferClasses];
  alignas(kCacheLine) Waiter receiver;  // sleeps for submissions or completion room
  alignas(kCacheLine) Waiter sender;    // sleeps for completions or submission room
};
static_assert(sizeof(Control) <= kPage);

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

bool PowerOfTwo(uint32_t n) { return n >= 2 && (n & (n - 1)) == 0; }

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

struct Layout {
  ChannelConfig config;
  size_t sq_offset = 0, cq_offset = 0, total = 0;
  size_t buffer_offset[kBufferClasses] = {};
  uint32_t first_id[kBufferClasses + 1] = {};  // ids of class c: [first_id[c], first_id[c+1])
  Control* control = nullptr;
  SpscRing<Sqe> sq = SpscRing<Sqe>::Attach(nullptr, 2);
  SpscRing<Cqe> cq = SpscRing<Cqe>::Attach(nullptr, 2);

  static Result<std::unique_ptr<Layout>> For(const ChannelConfig& c) {
    if (!PowerOfTwo(c.sq_entries) || !PowerOfTwo(c.cq_entries) || c.sq_entries > kMaxEntries ||
        c.cq_entries > kMaxEntries) {
      return Status::Error("ring sizes must be powers of two from 2 to 65536");
    }
    auto l = std::make_unique<Layout>();
    l->config = c;
    l->sq_offset = kPage;
    l->cq_offset = RoundUp(l->sq_offset + SpscRing<Sqe>::Bytes(c.sq_entries), kPage);
    size_t at = RoundUp(l->cq_offset + SpscRing<Cqe>::Bytes(c.cq_entries), kPage);
    for (size_t k = 0; k < kBufferClasses; ++k) {
      if (c.buffers[k] > kMaxBuffers) return Status::Error("too many buffers");
      l->buffer_offset[k] = at;
      at += size_t{c.buffers[k]} * kClassBytes[k];
      l->first_id[k + 1] = l->first_id[k] + c.buffers[k];
    }
    l->total = at;
    return l;
  }
  void Map(uint8_t* base) {
    control = reinterpret_cast<Control*>(base);
    sq = SpscRing<Sqe>::Attach(base + sq_offset, config.sq_entries);
    cq = SpscRing<Cqe>::Attach(base + cq_offset, config.cq_entries);
  }
  uint32_t buffers() const { return first_id[kBufferClasses]; }
  size_t ClassOf(uint32_t id) const {
    size_t k = 0;
    while (id >= first_id[k + 1]) ++k;
    return k;
  }
  uint8_t* Data(uint8_t* base, uint32_t id) const {
    const size_t k = ClassOf(id);
    return base + buffer_offset[k] + size_t{id - first_id[k]} * kClassBytes[k];
  }
};

uint64_t Fold64(const uint8_t* data, size_t length) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    acc += w;
  }
  for (; i < length; ++i) acc += data[i];
  return acc;
}

// ---- sender ----

Result<std::unique_ptr<ChannelSender>> ChannelSender::Create(const ChannelConfig& config) {
  auto layout = Layout::For(config);
  if (!layout.ok()) return layout.status();
  std::unique_ptr<ChannelSender> s(new ChannelSender());
  s->fd_ = memfd_create("perfkit-ring", 0);  // inherited by the receiver: no CLOEXEC
  if (s->fd_ < 0) return Status::Error(Errno("memfd_create"));
  s->size_ = (*layout)->total;
  if (ftruncate(s->fd_, static_cast<off_t>(s->size_)) != 0)
    return Status::Error(Errno("ftruncate"));
  void* base = mmap(nullptr, s->size_, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd_, 0);
  if (base == MAP_FAILED) return Status::Error(Errno("mmap"));
  s->base_ = static_cast<uint8_t*>(base);
  s->layout_ = std::move(*layout);
  Layout& l = *s->layout_;
  auto* control = new (s->base_) Control{};
  control->magic = kMagic;
  control->sq_entries = config.sq_entries;
  control->cq_entries = config.cq_entries;
  std::memcpy(control->buffers, config.buffers, sizeof control->buffers);
  SpscRing<Sqe>::Create(s->base_ + l.sq_offset, config.sq_entries);
  SpscRing<Cqe>::Create(s->base_ + l.cq_offset, config.cq_entries);
  l.Map(s->base_);
  for (size_t k = 0; k < kBufferClasses; ++k) {
    // Highest id last in, so the lowest is handed out first.
    for (uint32_t id = l.first_id[k + 1]; id > l.first_id[k]; --id) s->free_[k].push_back(id - 1);
  }
  s->busy_.assign(l.buffers(), 0);
  return s;
}

ChannelSender::~ChannelSender() {
  if (base_ != nullptr) munmap(base_, size_);
  if (fd_ >= 0) close(fd_);
}

Result<Buffer> ChannelSender::TryAcquireBuffer(size_t bytes) {
  for (size_t k = 0; k < kBufferClasses; ++k) {
    if (kClassBytes[k] < bytes || free_[k].empty()) continue;
    const uint32_t id = free_[k].back();
    free_[k].pop_back();
    return Buffer{id, layout_->Data(base_, id), kClassBytes[k]};
  }
  if (bytes > kClassBytes[kBufferClasses - 1]) {
    return Status::InvalidArgument("no buffer class holds " + std::to_string(bytes) + " bytes");
  }
  return Status::Error("no free buffer");
}

Result<Buffer> ChannelSender::AcquireBuffer(size_t bytes, Deadline deadline) {
  for (;;) {
    auto buffer = TryAcquireBuffer(bytes);
    if (buffer.ok() || buffer.status().code() == StatusCode::kInvalidArgument) return buffer;
    if (in_flight_ == 0) return buffer;    // nothing will come back
    auto done = WaitCompletion(deadline);  // returns a buffer to the pool
    if (!done.ok()) return done.status();
  }
}

Status ChannelSender::Push(const Sqe& sqe, Deadline deadline) {
  Layout& l = *layout_;
  if (Status s = WaitUntil(
          l.control->sender, [&] { return !l.sq.Full(); }, peer_, deadline,
          "room in the submission ring", &stats_);
      !s.ok()) {
    return s;
  }
  l.sq.TryPush(sqe);
  WakeIfSleeping(l.control->receiver, &stats_);
  return OkStatus();
}

Status ChannelSender::Submit(const Buffer& buffer, uint64_t offset, uint64_t length,
                             uint64_t user_data, Deadline deadline) {
  Sqe sqe{};
  sqe.opcode = static_cast<uint32_t>(Opcode::kData);
  sqe.buffer_id = buffer.id;
  sqe.offset = offset;
  sqe.length = length;
  sqe.user_data = user_data;
  busy_[buffer.id] = 1;
  ++in_flight_;
  return Push(sqe, deadline);
}

Status ChannelSender::SubmitControl(Opcode opcode, uint64_t user_data, Deadline deadline) {
  Sqe sqe{};
  sqe.opcode = static_cast<uint32_t>(opcode);
  sqe.buffer_id = kNoBuffer;
  sqe.user_data = user_data;
  ++in_flight_;
  return Push(sqe, deadline);
}

Result<Cqe> ChannelSender::WaitCompletion(Deadline deadline) {
  Layout& l = *layout_;
  if (Status s = WaitUntil(
          l.control->sender, [&] { return !l.cq.Empty(); }, peer_, deadline, "a completion",
          &stats_);
      !s.ok()) {
    return s;
  }
  Cqe cqe;
  if (l.cq.PopBulk(&cqe, 1) != 1) return Status::Error("corrupt completion ring index");
  WakeIfSleeping(l.control->receiver, &stats_);
  if (cqe.flags != kNoBuffer) {
    if (cqe.flags >= l.buffers() || !busy_[cqe.flags]) {
      return Status::Error("corrupt completion: buffer " + std::to_string(cqe.flags) +
                           " was not submitted");
    }
    busy_[cqe.flags] = 0;
    free_[l.ClassOf(cqe.flags)].push_back(cqe.flags);
  }
  if (in_flight_ == 0) return Status::Error("a completion with nothing in flight");
  --in_flight_;
  return cqe;
}

// ---- receiver ----

Result<std::unique_ptr<ChannelReceiver>> ChannelReceiver::Attach(int fd, pid_t sender) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return Status::Error(Errno("fstat of the channel"));
  const auto size = static_cast<size_t>(st.st_size);
  if (size < kPage) return Status::Error("the channel mapping is too small");
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return Status::Error(Errno("mmap of the channel"));
  std::unique_ptr<ChannelReceiver> r(new ChannelReceiver());
  r->base_ = static_cast<uint8_t*>(base);
  r->size_ = size;
  // The geometry is copied out once and checked; the sender could change
  // the shared copy at any time.
  const auto* control = reinterpret_cast<const Control*>(r->base_);
  if (control->magic != kMagic) return Status::Error("the channel has no perfkit ring header");
  ChannelConfig config;
  config.sq_entries = control->sq_entries;
  config.cq_entries = control->cq_entries;
  std::memcpy(config.buffers, control->buffers, sizeof config.buffers);
  auto layout = Layout::For(config);
  if (!layout.ok()) return Status::Error("corrupt channel geometry: " + layout.error());
  if ((*layout)->total != size) {
    return Status::Error("corrupt channel geometry: it needs " + std::to_string((*layout)->total) +
                         " bytes, the mapping has " + std::to_string(size));
  }
  r->layout_ = std::move(*layout);
  r->layout_->Map(r->base_);
  r->peer_ = PeerWatch(sender);
  return r;
}

ChannelReceiver::~ChannelReceiver() {
  if (base_ != nullptr) munmap(base_, size_);
}

Result<Request> ChannelReceiver::Check(const Sqe& sqe) const {
  Request r;
  r.user_data = sqe.user_data;
  if (sqe.opcode == static_cast<uint32_t>(Opcode::kPing) ||
      sqe.opcode == static_cast<uint32_t>(Opcode::kStop)) {
    r.opcode = static_cast<Opcode>(sqe.opcode);
    return r;
  }
  if (sqe.opcode != static_cast<uint32_t>(Opcode::kData)) {
    return Status::Error("corrupt submission: unknown opcode " + std::to_string(sqe.opcode));
  }
  const Layout& l = *layout_;
  if (sqe.buffer_id >= l.buffers()) {
    return Status::Error("corrupt submission: buffer " + std::to_string(sqe.buffer_id) +
                         " does not exist (there are " + std::to_string(l.buffers()) + ")");
  }
  const size_t capacity = kClassBytes[l.ClassOf(sqe.buffer_id)];
  if (sqe.offset > capacity || sqe.length > capacity - sqe.offset) {
    return Status::Error("corrupt submission: bytes " + std::to_string(sqe.offset) + "+" +
                         std::to_string(sqe.length) + " lie outside buffer " +
                         std::to_string(sqe.buffer_id) + " of " + std::to_string(capacity));
  }
  r.opcode = Opcode::kData;
  r.buffer_id = sqe.buffer_id;
  r.data = l.Data(base_, sqe.buffer_id) + sqe.offset;
  r.length = sqe.length;
  return r;
}

Result<Request> ChannelReceiver::Next(Deadline deadline) {
  Layout& l = *layout_;
  if (Status s = WaitUntil(
          l.control->receiver, [&] { return !l.sq.Empty(); }, peer_, deadline, "a submission",
          &stats_);
      !s.ok()) {
    return s;
  }
  Sqe sqe;
  if (l.sq.PopBulk(&sqe, 1) != 1) {
    return Status::Error("corrupt submission ring: its tail is more than a ring ahead");
  }
  WakeIfSleeping(l.control->sender, &stats_);
  return Check(sqe);
}

Status ChannelReceiver::Complete(const Request& request, int32_t result, Deadline deadline) {
  Layout& l = *layout_;
  if (Status s = WaitUntil(
          l.control->receiver, [&] { return !l.cq.Full(); }, peer_, deadline,
          "room in the completion ring", &stats_);
      !s.ok()) {
    return s;
  }
  l.cq.TryPush(Cqe{request.user_data, result, request.buffer_id});
  WakeIfSleeping(l.control->sender, &stats_);
  return OkStatus();
}

}  // namespace perfkit::rings
