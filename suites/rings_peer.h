// The other process of the rings suite's cross-process benchmarks: perfkit
// runs itself as `perfkit rings peer`, which receives messages over the
// shared-memory channel, a pipe or socket, or into memory the sender fills
// with process_vm_writev, reads every byte of each, and answers.
#pragma once

#include <cstdint>
#include <string>

namespace perfkit::suites {

enum class Transport { kShm, kStream, kVmWrite };

struct RingPeerOptions {
  Transport transport = Transport::kShm;
  int fd = -1;      // the channel's memfd, or the stream/pipe to read from
  int out_fd = -1;  // where answers go (stream: the same socket; pipes: the other pipe)
  int cpu = -1;     // pin to this CPU, or not
};

// Runs until told to stop or the sender goes away; the exit code of
// `perfkit rings peer`.
int RunRingPeer(const RingPeerOptions& options);

// Stream protocol: a header, then `count` messages of `size` bytes; the
// peer answers with the sum of the messages' Fold64 values. count 0 ends.
struct StreamHeader {
  uint64_t count;
  uint64_t size;
};

}  // namespace perfkit::suites
