// Moving payloads to another process: perfkit's shared-memory channel
// (the receiver reads the payload where the sender wrote it) against a
// pipe, a Unix socket and process_vm_writev, which all copy. The receiver
// is a real second process, perfkit itself (`perfkit rings peer`), pinned
// to the other CPU; every receiver reads every byte once (Fold64) and the
// sender checks the answer. In every transport the sender produces each
// payload once where it sends it from: into the shared buffer for the
// channel (zero copy), into its own buffer for the others, which then copy.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "subsystems/base/bytes.h"
#include "subsystems/base/fd_io.h"
#include "subsystems/base/self_path.h"
#include "subsystems/base/subprocess.h"
#include "subsystems/rings/shm_channel.h"
#include "subsystems/rings/wait.h"
#include "suites/claims.h"
#include "suites/rings_peer.h"
#include "suites/rings_threads.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kBytesPerIteration = 4 << 20;

const char* kTransports[] = {"shm", "pipe", "unix", "vmwrite"};

std::string PeerProgram() {
  const std::string self = SelfExecutable();
  return std::filesystem::path(self).filename() == "perfkit" ? self : "";
}

Clock::time_point Soon() { return Clock::now() + std::chrono::seconds(10); }

// The peer process and the descriptors that reach it.
struct Peer {
  std::unique_ptr<Process> process;
  std::unique_ptr<rings::ChannelSender> channel;  // shm
  int to = -1, from = -1;                         // streams and vmwrite
  uint64_t landing = 0;                           // vmwrite: the peer's buffer
  ~Peer() {
    if (to >= 0) close(to);
    if (from >= 0) close(from);
  }
};

// The peer's side of each transport: the channel's memfd; one end of a
// socket pair; or a pipe each way.
Status Connect(const std::string& transport, Peer& peer, SpawnOptions& spawn, int* child_ends) {
  auto add = [&](const char* flag, int fd) {
    spawn.argv.insert(spawn.argv.end(), {flag, std::to_string(fd)});
  };
  if (transport == "shm") {
    auto channel = rings::ChannelSender::Create({});
    if (!channel.ok()) return channel.status();
    peer.channel = std::move(*channel);
    add("--fd", peer.channel->fd());
    spawn.keep_fds = {peer.channel->fd()};
    return OkStatus();
  }
  int a[2], b[2];
  if (transport == "unix") {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) != 0) {
      return Status::Error(std::string("socketpair: ") + std::strerror(errno));
    }
    peer.to = a[0];
    peer.from = dup(a[0]);
    add("--fd", a[1]);
    add("--out-fd", a[1]);
    spawn.keep_fds = {a[1]};
    child_ends[0] = a[1];
    return OkStatus();
  }
  if (pipe2(a, O_CLOEXEC) != 0 || pipe2(b, O_CLOEXEC) != 0) {
    return Status::Error(std::string("pipe: ") + std::strerror(errno));
  }
  peer.to = a[1];
  peer.from = b[0];
  add("--fd", a[0]);
  add("--out-fd", b[1]);
  spawn.keep_fds = {a[0], b[1]};
  child_ends[0] = a[0];
  child_ends[1] = b[1];
  return OkStatus();
}

Result<std::unique_ptr<Peer>> StartPeer(const std::string& transport, int cpu) {
  const std::string program = PeerProgram();
  if (program.empty()) return Status::Error("the peer is perfkit itself: run through perfkit");
  const char* mode = transport == "shm" ? "shm" : transport == "vmwrite" ? "vmwrite" : "stream";
  auto peer = std::make_unique<Peer>();
  SpawnOptions spawn;
  spawn.argv = {program, "rings", "peer", "--transport", mode, "--cpu", std::to_string(cpu)};
  int child_ends[2] = {-1, -1};
  Status connected = Connect(transport, *peer, spawn, child_ends);
  auto process =
      connected.ok() ? SystemLauncher().Spawn(spawn) : Result<std::unique_ptr<Process>>(connected);
  for (int fd : child_ends) {
    if (fd >= 0) close(fd);  // the child's now; EOF comes when it exits
  }
  if (!process.ok()) return process.status();
  peer->process = std::move(*process);
  if (peer->channel) peer->channel->WatchPeer(peer->process->pid());
  if (transport == "vmwrite" && !ReadFull(peer->from, &peer->landing, sizeof peer->landing)) {
    return Status::Error("the peer sent no address");
  }
  return peer;
}

void StopPeer(Peer& peer) {
  if (peer.channel) {
    if (peer.channel->SubmitControl(rings::Opcode::kStop, 0, Soon()).ok()) {
      while (peer.channel->in_flight() > 0 && peer.channel->WaitCompletion(Soon()).ok()) {
      }
    }
  } else {
    const StreamHeader end{0, 0};
    WriteFull(peer.to, &end, sizeof end);
  }
  // How the peer ends is not part of the measurement; a hung one is killed.
  static_cast<void>(peer.process->Wait(5));
}

// Message i's payload: every byte i mod 256, cheap to make, fold known.
void Produce(uint8_t* into, size_t size, uint64_t i) {
  std::memset(into, static_cast<int>(i & 0xff), size);
}

uint64_t ExpectedFold(size_t size, uint64_t i) {
  const uint64_t b = i & 0xff;
  return (size / 8) * (b * 0x0101010101010101ull) + (size % 8) * b;
}

// Sends `count` messages of `size` bytes; keeps the channel's buffers full.
Status SendShm(Peer& peer, std::vector<uint8_t>&, size_t size, uint64_t count, uint64_t* sum) {
  rings::ChannelSender& ch = *peer.channel;
  auto reap = [&]() -> Status {
    auto cqe = ch.WaitCompletion(Soon());
    if (!cqe.ok()) return cqe.status();
    *sum += static_cast<uint64_t>(cqe->result);
    return OkStatus();
  };
  for (uint64_t i = 0; i < count; ++i) {
    auto buffer = ch.TryAcquireBuffer(size);
    while (!buffer.ok()) {
      if (Status s = reap(); !s.ok()) return s;
      buffer = ch.TryAcquireBuffer(size);
    }
    Produce(buffer->data, size, i);
    if (Status s = ch.Submit(*buffer, 0, size, i, Soon()); !s.ok()) return s;
  }
  while (ch.in_flight() > 0) {
    if (Status s = reap(); !s.ok()) return s;
  }
  return OkStatus();
}

Status SendStream(Peer& peer, std::vector<uint8_t>& source, size_t size, uint64_t count,
                  uint64_t* sum) {
  const StreamHeader h{count, size};
  if (!WriteFull(peer.to, &h, sizeof h)) return Status::Error("the peer closed the stream");
  for (uint64_t i = 0; i < count; ++i) {
    Produce(source.data(), size, i);
    if (!WriteFull(peer.to, source.data(), size))
      return Status::Error("the peer closed the stream");
  }
  if (!ReadFull(peer.from, sum, sizeof *sum)) return Status::Error("the peer did not answer");
  return OkStatus();
}

Status SendVmWrite(Peer& peer, std::vector<uint8_t>& source, size_t size, uint64_t count,
                   uint64_t* sum) {
  for (uint64_t i = 0; i < count; ++i) {
    Produce(source.data(), size, i);
    iovec local{source.data(), size};
    iovec remote{reinterpret_cast<void*>(peer.landing), size};
    if (process_vm_writev(peer.process->pid(), &local, 1, &remote, 1, 0) !=
        static_cast<ssize_t>(size)) {
      return Status::Error(std::string("process_vm_writev: ") + std::strerror(errno) +
                           (errno == EPERM ? " (ptrace is restricted here)" : ""));
    }
    const StreamHeader h{1, size};
    uint64_t one = 0;
    if (!WriteFull(peer.to, &h, sizeof h) || !ReadFull(peer.from, &one, sizeof one)) {
      return Status::Error("the peer did not answer");
    }
    *sum += one;
  }
  return OkStatus();
}

Status Send(const std::string& transport, Peer& peer, std::vector<uint8_t>& source, size_t size,
            uint64_t count, uint64_t* sum) {
  if (transport == "shm") return SendShm(peer, source, size, count, sum);
  if (transport == "vmwrite") return SendVmWrite(peer, source, size, count, sum);
  return SendStream(peer, source, size, count, sum);
}

// `count` messages per iteration; round_trip: one, answered before the next.
void Transfer(benchmark::State& state, const std::string& transport, size_t size, bool round_trip) {
  if (StopRequested()) return;
  const std::vector<int> cpus = AllowedCpus();
  if (cpus.size() < 2) {
    state.SkipWithError("needs two CPUs for the two processes");
    return;
  }
  AffinityGuard guard;
  PinThisThread(cpus[0]);
  auto peer = StartPeer(transport, cpus[1]);
  if (!peer.ok()) {
    state.SkipWithError(peer.error().c_str());
    return;
  }
  std::vector<uint8_t> source(size);
  const uint64_t count = round_trip ? 1 : std::max<uint64_t>(1, kBytesPerIteration / size);
  // The shm receiver answers with 31 bits of each fold; the others whole.
  uint64_t expected = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t fold = ExpectedFold(size, i);
    expected += transport == "shm" ? (fold & 0x7fffffff) : fold;
  }
  bool failed = false;
  for (auto _ : state) {
    uint64_t sum = 0;
    if (Status s = Send(transport, **peer, source, size, count, &sum); !s.ok()) {
      state.SkipWithError(s.message().c_str());
      failed = true;
      break;
    }
    if (sum != expected) {
      state.SkipWithError("the peer's answer does not match what was sent");
      failed = true;
      break;
    }
  }
  StopPeer(**peer);
  if (failed) return;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * count * size));
  if (!round_trip) state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
}

// The channel's buffers of the class a payload of `size` takes.
uint32_t BuffersFor(size_t size) {
  const rings::ChannelConfig config;
  for (size_t c = 0; c < rings::kBufferClasses; ++c) {
    if (size <= rings::kClassBytes[c]) return config.buffers[c];
  }
  return 1;
}

// Waits as the channel does (rings::WaitUntil: spinning, then a futex), so
// that the bound differs from the channel only in what it leaves out. It
// had spun with a sched_yield every 1024 pauses: on a machine with other
// work on both CPUs each yield gave a neighbour its whole slice, and the
// 1 MiB bound fell to 0.6 GB/s, an eighth of the channel's 4.8. False when
// the other thread made no progress for a minute.
template <typename Ready>
bool Await(rings::Waiter& waiter, Ready ready) {
  return rings::WaitUntil(waiter, ready, rings::PeerWatch(),
                          std::chrono::steady_clock::now() + std::chrono::minutes(1),
                          "the other thread of the hand-off bound", nullptr)
      .ok();
}

// The hand-off bound: the channel's payloads, written by this thread into as
// many buffers as the channel has for their size and read (Fold64) by a
// thread on the other CPU, with nothing between them but two counters. What
// any way of moving a payload between two CPUs pays: the writer's pass over
// lines the other CPU last read, the reader's over lines the other wrote,
// overlapped; without the channel's rings, checks and second process.
void Handoff(benchmark::State& state, size_t size) {
  if (StopRequested()) return;
  const std::vector<int> cpus = AllowedCpus();
  if (cpus.size() < 2) {
    state.SkipWithError("needs two CPUs for the two threads");
    return;
  }
  AffinityGuard guard;
  PinThisThread(cpus[0]);
  const uint32_t buffers = BuffersFor(size);
  std::vector<uint8_t> memory(buffers * size + 64);
  uint8_t* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(memory.data()) + 63) &
                                             ~uintptr_t{63});
  alignas(64) std::atomic<uint64_t> produced{0};
  alignas(64) std::atomic<uint64_t> consumed{0};
  alignas(64) std::atomic<uint64_t> folded{0};
  std::atomic<bool> stop{false}, stuck{false};
  rings::Waiter reader_waits, writer_waits;
  std::thread reader([&] {
    PinThisThread(cpus[1]);
    uint64_t next = 0, sum = 0;
    while (true) {
      const bool woke = Await(reader_waits, [&] {
        return produced.load(std::memory_order_acquire) > next ||
               stop.load(std::memory_order_acquire);
      });
      if (!woke) stuck.store(true);
      if (!woke || produced.load(std::memory_order_acquire) <= next) break;
      sum += rings::Fold64(base + (next % buffers) * size, size);
      folded.store(sum, std::memory_order_relaxed);
      consumed.store(++next, std::memory_order_release);
      rings::WakeIfSleeping(writer_waits, nullptr);
    }
  });
  const uint64_t count = std::max<uint64_t>(1, kBytesPerIteration / size);
  uint64_t i = 0, expected = 0;
  for (auto _ : state) {
    for (uint64_t k = 0; k < count && !stuck; ++k, ++i) {
      if (!Await(writer_waits,
                 [&] { return i - consumed.load(std::memory_order_acquire) < buffers; })) {
        stuck.store(true);
        break;
      }
      Produce(base + (i % buffers) * size, size, i);
      expected += ExpectedFold(size, i);
      produced.store(i + 1, std::memory_order_release);
      rings::WakeIfSleeping(reader_waits, nullptr);
    }
    if (stuck ||
        !Await(writer_waits, [&] { return consumed.load(std::memory_order_acquire) == i; })) {
      stuck.store(true);
      break;
    }
  }
  stop.store(true, std::memory_order_release);
  rings::WakeIfSleeping(reader_waits, nullptr);
  reader.join();
  if (stuck) {
    state.SkipWithError("a thread of the hand-off bound waited a minute for the other");
    return;
  }
  if (folded.load() != expected) {
    state.SkipWithError("the reader's folds do not match what was written");
    return;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * count * size));
}

std::string HandoffName(size_t size) { return "rings/ipc-bound/handoff/" + std::to_string(size); }

// "IPC 1 MiB, the channel against the hand-off bound: 6.9 GB/s, 84% of the
// cross-CPU hand-off bound (8.2 GB/s: ...)".
Claim AtHandoffBound(size_t size) {
  return ShareOfBound(
      fmt::format("IPC {}, the channel against the hand-off bound",
                  FormatBytes(static_cast<int64_t>(size))),
      "rings/ipc/shm/" + std::to_string(size), HandoffName(size),
      static_cast<double>(kBytesPerIteration), "the cross-CPU hand-off bound",
      fmt::format("the same payloads written on one CPU and read on the other by two threads, {} "
                  "buffers, nothing between them but two counters",
                  BuffersFor(size)),
      "% of the hand-off bound", 80);
}

}  // namespace

void AddIpcBenchmarks(SuiteSpec& suite) {
  if (PeerProgram().empty()) {
    suite.skipped.push_back(
        "ipc: the peer process is perfkit itself; run through the perfkit binary");
    return;
  }
  for (const char* t : kTransports) {
    const std::string transport = t;
    const Role role = transport == "shm" ? Role::kOurs : Role::kPeer;
    for (size_t size : {size_t{4096}, size_t{65536}, size_t{1} << 20}) {
      suite.benchmarks.push_back(
          {"rings/ipc/" + transport + "/" + std::to_string(size), role,
           [transport, size](benchmark::State& s) { Transfer(s, transport, size, false); }});
    }
    if (transport == "vmwrite") continue;
    if (transport == "shm") {
      for (size_t size : {size_t{65536}, size_t{1} << 20}) {
        suite.benchmarks.push_back(
            {HandoffName(size), Role::kOurs, [size](benchmark::State& s) { Handoff(s, size); }});
        suite.claims.push_back(AtHandoffBound(size));
      }
    }
    // 64 bytes: what the channel itself costs; 4 KiB: with a page to move.
    for (size_t size : {size_t{64}, size_t{4096}}) {
      suite.benchmarks.push_back(
          {"rings/ipc-rtt/" + transport + "/" + std::to_string(size), role,
           [transport, size](benchmark::State& s) { Transfer(s, transport, size, true); }});
    }
  }
}

}  // namespace perfkit::suites
