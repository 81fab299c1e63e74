#include "suites/rings_peer.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "subsystems/base/fd_io.h"
#include "subsystems/rings/shm_channel.h"
#include "suites/rings_threads.h"

namespace perfkit::suites {
namespace {

using rings::Fold64;

int Fail(const std::string& why) {
  std::fprintf(stderr, "perfkit rings peer: %s\n", why.c_str());
  return 3;
}

int ServeShm(const RingPeerOptions& o) {
  auto receiver = rings::ChannelReceiver::Attach(o.fd, getppid());
  if (!receiver.ok()) return Fail(receiver.error());
  for (;;) {
    // Long deadlines: the sender may pause between benchmarks; it dying is
    // noticed sooner, by the peer watch.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
    auto request = (*receiver)->Next(deadline);
    if (!request.ok()) return Fail(request.error());
    const int32_t result =
        request->opcode == rings::Opcode::kData
            ? static_cast<int32_t>(Fold64(request->data, request->length) & 0x7fffffff)
            : 0;
    if (Status s = (*receiver)->Complete(*request, result, deadline); !s.ok())
      return Fail(s.message());
    if (request->opcode == rings::Opcode::kStop) return 0;
  }
}

int ServeStream(const RingPeerOptions& o) {
  std::vector<uint8_t> buffer;
  for (StreamHeader h{}; ReadFull(o.fd, &h, sizeof h);) {
    if (h.count == 0) return 0;
    if (h.size > (64u << 20)) return Fail("message size out of range");
    buffer.resize(h.size);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < h.count; ++i) {
      if (!ReadFull(o.fd, buffer.data(), h.size)) return Fail("the stream ended mid-message");
      sum += Fold64(buffer.data(), h.size);
    }
    if (!WriteFull(o.out_fd, &sum, sizeof sum)) return Fail("cannot answer");
  }
  return 0;  // the sender closed the stream
}

// The sender writes into `landing` with process_vm_writev, then sends the
// length over the pipe; the address goes to it first.
int ServeVmWrite(const RingPeerOptions& o) {
  std::vector<uint8_t> landing(1 << 20);
  const uint64_t address = reinterpret_cast<uint64_t>(landing.data());
  if (!WriteFull(o.out_fd, &address, sizeof address)) return Fail("cannot send the address");
  for (StreamHeader h{}; ReadFull(o.fd, &h, sizeof h);) {
    if (h.count == 0) return 0;
    if (h.size > landing.size()) return Fail("message size out of range");
    const uint64_t sum = Fold64(landing.data(), h.size);
    if (!WriteFull(o.out_fd, &sum, sizeof sum)) return Fail("cannot answer");
  }
  return 0;
}

}  // namespace

int RunRingPeer(const RingPeerOptions& o) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the sender
  if (getppid() == 1) return Fail("the sender is gone");
  if (o.cpu >= 0) PinThisThread(o.cpu);
  switch (o.transport) {
    case Transport::kShm:
      return ServeShm(o);
    case Transport::kStream:
      return ServeStream(o);
    case Transport::kVmWrite:
      break;
  }
  return ServeVmWrite(o);
}

}  // namespace perfkit::suites
