#include "subsystems/virtio/vhost_user_server.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "subsystems/virtio/guest_memory.h"
#include "subsystems/virtio/split_ring.h"
#include "subsystems/virtio/vhost_user_message.h"

namespace perfkit::virtio {
namespace {

constexpr size_t kMaxErrors = 16;
constexpr uint64_t kStopTag = ~uint64_t{0};
constexpr uint64_t kSocketTag = ~uint64_t{0} - 1;
constexpr uint64_t kEndTag = ~uint64_t{0} - 2;
// A descriptor the device watches: this tag plus its place in Watched().
constexpr uint64_t kWatchTag = uint64_t{1} << 32;

struct VringState {
  uint32_t index;
  uint32_t num;
};

struct VringAddr {
  uint32_t index;
  uint32_t flags;
  uint64_t desc;
  uint64_t used;
  uint64_t avail;
  uint64_t log;
};

struct ConfigHeader {
  uint32_t offset;
  uint32_t size;
  uint32_t flags;
};

struct Vring {
  uint16_t num = 0;
  uint16_t base = 0;
  VringAddr addr{};
  bool have_addr = false;
  int kick = -1;
  int call = -1;
  int err = -1;
  bool enabled = true;
  std::optional<DeviceQueue> queue;
};

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// Every descriptor a front end hands over may be a blocking eventfd or a
// pipe: a read or write on it must never hold the server (nor SIGTERM).
void SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// A front end that sends part of a message and stalls is dropped after this.
constexpr int kMessageTimeoutS = 5;

// A thread serving some of a session's rings and watched descriptors, on
// its own epoll. It holds `serving` while it serves; the message handler
// takes every worker's before it changes anything a worker reads (memory,
// rings, features), so a message never runs beside the rings it changes.
struct Worker {
  int epoll = -1;
  int end = -1;  // an eventfd: the session is over
  std::mutex serving;
  std::thread thread;
  uint64_t kicks = 0;
};

// One front end's session: its memory, its rings, its descriptors, and the
// device's threads.
class Session final : public Rings {
 public:
  Session(VhostUserDevice* device, int socket, const std::vector<int>* watched,
          VhostUserReport* report);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() override;
  // Whether the workers run; a session that could not start them ends.
  const Status& started() const { return started_; }

  uint64_t offered_features() const { return device_->Features() | Bit(kProtocolFeaturesBit); }

  // An error ends the connection. Runs with every worker paused.
  Status Handle(VhostUserMessage& m);

  DeviceQueue* Queue(size_t index) override {
    if (index >= vrings_.size() || !vrings_[index].queue || !vrings_[index].enabled) return nullptr;
    return &*vrings_[index].queue;
  }
  void Notify(size_t index) override {
    Vring& v = vrings_[index];
    if (v.queue && v.queue->ShouldNotify() && v.call >= 0) {
      const uint64_t one = 1;
      (void)!write(v.call, &one, sizeof one);
    }
  }
  bool Backed(const Chain& chain) const override {
    if (!memory_.guarded()) return true;
    for (const Segment& s : chain.segments) {
      if (!memory_.StillBacked(s.data, s.len)) return false;
    }
    return !memory_.broken();
  }
  void Break(size_t index, const std::string& why) override {
    Note("ring " + std::to_string(index) + " is broken: " + why);
    Vring& v = vrings_[index];
    if (v.queue) AddNotifications(v.queue->notifications());
    v.queue.reset();
  }
  void Note(std::string error) override {
    const std::lock_guard<std::mutex> lock(report_mutex_);
    if (report_->errors.size() < kMaxErrors) report_->errors.push_back(std::move(error));
  }
  void Malformed(size_t index, const std::string& error) override {
    {
      const std::lock_guard<std::mutex> lock(report_mutex_);
      ++report_->malformed;
    }
    Note("ring " + std::to_string(index) + ": " + error);
  }
  void Watch(int fd, bool on) override {
    for (size_t w = 0; w < watched_->size(); ++w) {
      if ((*watched_)[w] != fd) continue;
      epoll_event e{};
      e.events = on ? uint32_t{EPOLLIN} : uint32_t{EPOLLIN | EPOLLET};
      e.data.u64 = kWatchTag + w;
      // Fails harmlessly for one already dropped.
      epoll_ctl(WatcherOf(w).epoll, EPOLL_CTL_MOD, fd, &e);
    }
  }

 private:
  Worker& WorkerOf(size_t ring) { return *workers_[device_->WorkerOf(ring) % workers_.size()]; }
  Worker& WatcherOf(size_t w) { return *workers_[w % workers_.size()]; }
  void AddNotifications(uint64_t n) {
    const std::lock_guard<std::mutex> lock(report_mutex_);
    report_->notifications += n;
  }
  void Run(Worker& worker);
  // A kick descriptor is ready (`events` from epoll): drain it, serve the ring.
  void OnKickEvent(Worker& worker, size_t index, uint32_t events);
  void OnKick(size_t index);
  Status OnMessage(VhostUserMessage& m);
  Status Reply(uint32_t request, const void* payload, uint32_t size) {
    return SendReply(socket_, request, payload, size);
  }
  Status SetMemTable(VhostUserMessage& m);
  Status SetVringFd(VhostUserMessage& m);
  Status StartRing(size_t index);
  void StopRing(size_t index);

  VhostUserDevice* device_;
  int socket_;
  const std::vector<int>* watched_;
  VhostUserReport* report_;
  std::mutex report_mutex_;  // the workers' errors and counts
  uint64_t features_ = 0;
  uint64_t protocol_features_ = 0;
  GuestMemory memory_;
  std::vector<Vring> vrings_;
  std::vector<std::unique_ptr<Worker>> workers_;
  Status started_ = OkStatus();
};

Session::Session(VhostUserDevice* device, int socket, const std::vector<int>* watched,
                 VhostUserReport* report)
    : device_(device),
      socket_(socket),
      watched_(watched),
      report_(report),
      vrings_(device->MaxQueues()) {
  const size_t n = std::max<size_t>(1, device->Workers());
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->epoll = epoll_create1(EPOLL_CLOEXEC);
    w->end = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->epoll < 0 || w->end < 0) {
      started_ =
          Status::Error(std::string("cannot make the device's threads: ") + std::strerror(errno));
    }
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = kEndTag;
    epoll_ctl(w->epoll, EPOLL_CTL_ADD, w->end, &e);
    workers_.push_back(std::move(w));
  }
  for (size_t w = 0; w < watched->size(); ++w) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = kWatchTag + w;
    epoll_ctl(WatcherOf(w).epoll, EPOLL_CTL_ADD, (*watched)[w], &e);
  }
  if (!started_.ok()) return;
  for (auto& w : workers_) w->thread = std::thread([this, raw = w.get()] { Run(*raw); });
}

Session::~Session() {
  for (auto& w : workers_) {
    const uint64_t one = 1;
    (void)!write(w->end, &one, sizeof one);
    if (w->thread.joinable()) w->thread.join();
    report_->kicks += w->kicks;
    CloseFd(&w->epoll);
    CloseFd(&w->end);
  }
  for (Vring& v : vrings_) {
    if (v.queue) report_->notifications += v.queue->notifications();
    CloseFd(&v.kick);
    CloseFd(&v.call);
    CloseFd(&v.err);
  }
}

void Session::Run(Worker& worker) {
  for (;;) {
    epoll_event events[8];
    const int n = epoll_wait(worker.epoll, events, 8, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    const std::lock_guard<std::mutex> lock(worker.serving);
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kEndTag) return;
      if (tag >= kWatchTag && tag - kWatchTag < watched_->size()) {
        const int fd = (*watched_)[tag - kWatchTag];
        if (!device_->OnReadable(fd, *this)) epoll_ctl(worker.epoll, EPOLL_CTL_DEL, fd, nullptr);
      } else if (tag < vrings_.size()) {
        OnKickEvent(worker, tag, events[i].events);
      }
    }
  }
}

Status Session::Handle(VhostUserMessage& m) {
  std::vector<std::unique_lock<std::mutex>> paused;
  paused.reserve(workers_.size());
  for (auto& w : workers_) paused.emplace_back(w->serving);
  return OnMessage(m);
}

Status Session::SetMemTable(VhostUserMessage& m) {
  struct Region {
    uint64_t guest_phys, size, user_addr, mmap_offset;
  };
  uint32_t count = 0;
  if (!m.Read(&count) || count > kMaxFds || count != m.fds.size()) {
    return Status::Error("SET_MEM_TABLE: " + std::to_string(count) + " regions with " +
                         std::to_string(m.fds.size()) + " descriptors");
  }
  GuestMemory memory;
  for (uint32_t i = 0; i < count; ++i) {
    Region r{};
    if (!m.Read(&r, 8 + i * sizeof(Region))) return Status::Error("SET_MEM_TABLE: truncated");
    Status s = memory.AddMapped(m.fds[i], r.guest_phys, r.size, r.user_addr, r.mmap_offset);
    if (!s.ok()) return s;
  }
  // Rings running on the old table are re-translated on the new one.
  memory_ = std::move(memory);
  for (size_t i = 0; i < vrings_.size(); ++i) {
    if (vrings_[i].queue) {
      const uint16_t last = vrings_[i].queue->last_avail();
      vrings_[i].queue.reset();
      vrings_[i].base = last;
      if (Status s = StartRing(i); !s.ok()) return s;
    }
  }
  return OkStatus();
}

Status Session::StartRing(size_t index) {
  Vring& v = vrings_[index];
  if (!v.have_addr || v.num == 0) return OkStatus();  // started when all is known
  const uint16_t n = v.num;
  QueueAddresses a;
  a.size = n;
  a.desc = memory_.TranslateUser(v.addr.desc, RingLayout::DescBytes(n));
  a.avail = memory_.TranslateUser(v.addr.avail, RingLayout::AvailBytes(n));
  a.used = memory_.TranslateUser(v.addr.used, RingLayout::UsedBytes(n));
  if (a.desc == nullptr || a.avail == nullptr || a.used == nullptr) {
    return Status::Error("ring " + std::to_string(index) + " lies outside the guest's memory");
  }
  const QueueFeatures f{(features_ & Bit(kFeatureEventIdx)) != 0,
                        (features_ & Bit(kFeatureIndirectDesc)) != 0};
  v.queue.emplace(a, &memory_, f, v.base);
  return OkStatus();
}

void Session::StopRing(size_t index) {
  Vring& v = vrings_[index];
  if (v.kick >= 0) epoll_ctl(WorkerOf(index).epoll, EPOLL_CTL_DEL, v.kick, nullptr);
  CloseFd(&v.kick);
  if (v.queue) {
    v.base = v.queue->last_avail();
    AddNotifications(v.queue->notifications());
  }
  v.queue.reset();
}

Status Session::SetVringFd(VhostUserMessage& m) {
  uint64_t u = 0;
  if (!m.Read(&u)) return Status::Error("a vring descriptor message without its index");
  const size_t index = u & kVringIndexMask;
  if (index >= vrings_.size()) {
    return Status::Error("ring " + std::to_string(index) + " beyond the " +
                         std::to_string(vrings_.size()) + " offered");
  }
  const int fd = (u & kVringNoFd) ? -1 : m.TakeFd(0);
  if (fd >= 0) SetNonBlocking(fd);
  Vring& v = vrings_[index];
  if (m.request == kSetVringCall) {
    CloseFd(&v.call);
    v.call = fd;
  } else if (m.request == kSetVringErr) {
    CloseFd(&v.err);
    v.err = fd;
  } else {
    const int epoll = WorkerOf(index).epoll;
    if (v.kick >= 0) epoll_ctl(epoll, EPOLL_CTL_DEL, v.kick, nullptr);
    CloseFd(&v.kick);
    v.kick = fd;
    if (fd < 0) return Status::Error("polling rings (no kick descriptor) is not supported");
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = index;
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e) != 0) {
      return Status::Error(std::string("epoll: ") + std::strerror(errno));
    }
    if (Status s = StartRing(index); !s.ok()) return s;
    OnKick(index);  // chains made available before the kick descriptor came
  }
  return OkStatus();
}

Status Session::OnMessage(VhostUserMessage& m) {
  switch (m.request) {
    case kGetFeatures: {
      const uint64_t f = offered_features();
      return Reply(m.request, &f, sizeof f);
    }
    case kSetFeatures:
      if (!m.Read(&features_)) return Status::Error("SET_FEATURES without features");
      if (features_ & ~offered_features()) {
        return Status::Error("the front end acked features that were not offered");
      }
      report_->negotiated_features = features_;
      device_->Negotiated(features_);
      return OkStatus();
    case kGetProtocolFeatures: {
      const uint64_t f = device_->ProtocolFeatures();
      return Reply(m.request, &f, sizeof f);
    }
    case kSetProtocolFeatures:
      (void)m.Read(&protocol_features_);
      return OkStatus();
    case kGetQueueNum: {
      const uint64_t n = vrings_.size();
      return Reply(m.request, &n, sizeof n);
    }
    case kSetOwner:
    case kResetOwner:
      return OkStatus();
    case kSetMemTable:
      return SetMemTable(m);
    case kSetVringNum:
    case kSetVringBase:
    case kGetVringBase:
    case kSetVringEnable: {
      VringState s{};
      if (!m.Read(&s) || s.index >= vrings_.size()) {
        return Status::Error("a vring message for ring " + std::to_string(s.index));
      }
      Vring& v = vrings_[s.index];
      if (m.request == kSetVringNum) {
        if (s.num == 0 || s.num > 32768 || (s.num & (s.num - 1)) != 0) {
          return Status::Error("a ring of " + std::to_string(s.num) + " entries");
        }
        v.num = static_cast<uint16_t>(s.num);
      } else if (m.request == kSetVringBase) {
        v.base = static_cast<uint16_t>(s.num);
      } else if (m.request == kSetVringEnable) {
        v.enabled = s.num != 0;
        if (v.enabled && v.queue) OnKick(s.index);
      } else {  // GET_VRING_BASE stops the ring
        StopRing(s.index);
        const VringState reply{s.index, v.base};
        return Reply(m.request, &reply, sizeof reply);
      }
      return OkStatus();
    }
    case kSetVringAddr: {
      VringAddr a{};
      if (!m.Read(&a) || a.index >= vrings_.size()) {
        return Status::Error("SET_VRING_ADDR for ring " + std::to_string(a.index));
      }
      vrings_[a.index].addr = a;
      vrings_[a.index].have_addr = true;
      return OkStatus();
    }
    case kSetVringKick:
    case kSetVringCall:
    case kSetVringErr:
      return SetVringFd(m);
    case kGetConfig: {
      ConfigHeader h{};
      if (!m.Read(&h) || h.size > kMaxPayload - sizeof h || h.offset > 4096) {
        return Status::Error("GET_CONFIG of " + std::to_string(h.size) + " bytes");
      }
      const std::vector<uint8_t> config = device_->Config(h.offset + h.size);
      std::vector<uint8_t> reply(sizeof h + h.size);
      std::memcpy(reply.data(), &h, sizeof h);
      std::memcpy(reply.data() + sizeof h, config.data() + h.offset, h.size);
      return Reply(m.request, reply.data(), static_cast<uint32_t>(reply.size()));
    }
    case kSetConfig:  // nothing in our config space is writable
      return OkStatus();
    default:
      if (m.flags & kFlagNeedReply) {
        return Status::Error("vhost-user request " + std::to_string(m.request) +
                             " wants a reply perfkit cannot give");
      }
      Note("ignored vhost-user request " + std::to_string(m.request));
      return OkStatus();
  }
}

void Session::OnKickEvent(Worker& worker, size_t index, uint32_t events) {
  Vring& v = vrings_[index];
  if (v.kick < 0) return;
  bool hung_up = (events & (EPOLLHUP | EPOLLERR)) != 0;
  // An eventfd reads as one counter; a pipe may hold several writes.
  for (;;) {
    uint64_t count;
    const ssize_t n = read(v.kick, &count, sizeof count);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    hung_up |= n == 0;  // a pipe whose writer closed
    break;
  }
  ++worker.kicks;
  OnKick(index);
  if (hung_up) {
    // Polled further, it would wake the server millions of times a second.
    epoll_ctl(worker.epoll, EPOLL_CTL_DEL, v.kick, nullptr);
    CloseFd(&v.kick);
    Note("ring " + std::to_string(index) + ": its kick descriptor hung up; no longer polled");
  }
}

void Session::OnKick(size_t index) {
  Vring& v = vrings_[index];
  if (!v.queue || !v.enabled) return;
  device_->Serve(index, *this);
  if (v.queue && !v.queue->broken().empty()) {
    Break(index, v.queue->broken());
  } else if (v.queue && memory_.broken()) {  // the ring itself read as zeros
    Break(index, "the front end shrank the guest's memory under it");
  }
}

}  // namespace

size_t WorkersFor(size_t requested, size_t queues) {
  queues = std::max<size_t>(queues, 1);
  if (requested != 0) return std::min(requested, queues);
  cpu_set_t set;
  CPU_ZERO(&set);
  const size_t cpus =
      sched_getaffinity(0, sizeof set, &set) == 0 ? static_cast<size_t>(CPU_COUNT(&set)) : 1;
  return std::clamp<size_t>(cpus / 2, 1, queues);
}

Result<VhostUserServer> VhostUserServer::Listen(const VhostUserServerOptions& options) {
  sockaddr_un addr{};
  if (options.socket_path.empty() || options.socket_path.size() >= sizeof addr.sun_path) {
    return Status::InvalidArgument("a socket path of 1 to " +
                                   std::to_string(sizeof addr.sun_path - 1) + " bytes is needed");
  }
  struct stat st {};
  if (lstat(options.socket_path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::InvalidArgument(options.socket_path + " exists and is not a socket");
    }
    unlink(options.socket_path.c_str());
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(std::string("socket: ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, options.socket_path.c_str(), options.socket_path.size());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 1) != 0) {
    const std::string why = std::strerror(errno);
    close(fd);
    return Status::Error("cannot listen on " + options.socket_path + ": " + why);
  }
  return VhostUserServer(options, fd);
}

VhostUserServer::VhostUserServer(VhostUserServer&& other) noexcept
    : options_(std::move(other.options_)), listen_fd_(other.listen_fd_) {
  other.listen_fd_ = -1;
}

VhostUserServer::~VhostUserServer() {
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(options_.socket_path.c_str());
  }
}

Result<VhostUserReport> VhostUserServer::Serve(VhostUserDevice& device, int stop_fd) {
  VhostUserReport report;
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  if (epoll < 0) return Status::Error(std::string("epoll: ") + std::strerror(errno));
  const std::unique_ptr<int, void (*)(int*)> epoll_guard(new int(epoll), [](int* fd) {
    close(*fd);
    delete fd;
  });
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = kStopTag;
  if (stop_fd >= 0) epoll_ctl(epoll, EPOLL_CTL_ADD, stop_fd, &e);
  e.data.u64 = kSocketTag;
  epoll_ctl(epoll, EPOLL_CTL_ADD, listen_fd_, &e);
  bool keep_listening = options_.keep_listening;
  for (;;) {
    epoll_event events[8];
    int n = epoll_wait(epoll, events, 8, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Error(std::string("epoll_wait: ") + std::strerror(errno));
    bool accept_now = false;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kStopTag) return report;
      accept_now |= events[i].data.u64 == kSocketTag;
    }
    if (!accept_now) continue;
    const int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    const timeval timeout{kMessageTimeoutS, 0};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    const std::vector<int> watched = device.Watched();
    {
      Session session(&device, conn, &watched, &report);
      e.data.u64 = kSocketTag;
      epoll_ctl(epoll, EPOLL_CTL_DEL, listen_fd_, nullptr);
      epoll_ctl(epoll, EPOLL_CTL_ADD, conn, &e);
      bool open = session.started().ok();
      if (!open) session.Note(session.started().message());
      while (open) {
        n = epoll_wait(epoll, events, 8, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        for (int i = 0; i < n && open; ++i) {
          if (events[i].data.u64 == kStopTag) {
            open = false;
            keep_listening = false;
            continue;
          }
          VhostUserMessage m;
          Status s = ReceiveMessage(conn, &m, stop_fd);
          if (s.ok()) s = session.Handle(m);
          if (!s.ok() && s.message() == "stopped") {
            keep_listening = false;
          } else if (!s.ok() && s.message() != "disconnected") {
            session.Note(s.message());
          }
          open = s.ok();
        }
      }
      epoll_ctl(epoll, EPOLL_CTL_DEL, conn, nullptr);
    }
    close(conn);
    if (!keep_listening) return report;
    e.data.u64 = kSocketTag;
    epoll_ctl(epoll, EPOLL_CTL_ADD, listen_fd_, &e);
  }
}

}  // namespace perfkit::virtio
