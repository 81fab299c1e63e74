// A network namespace of perfkit's own for the virtio suite's network
// guests: loopback, a TAP at 192.0.2.1/24 (a documentation range) and the
// host-side endpoints perfkit-guest-net measures against, all inside it,
// so no guest traffic meets the machine's own interfaces. QEMU and the
// vhost-user back end join it through SpawnOptions::netns_fd; it ends,
// TAP and all, when they have exited and the lab is destroyed.
//
// The endpoints listen on every address of the namespace: the TAP's for a
// card on the TAP, 127.0.0.1 for QEMU's user-mode network, which forwards
// the guest's traffic for its host address there.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::qemu {

// The endpoints' ports, as guest_net.c knows them: flow i's datagrams go
// to kUdpEchoPort + i (so flows differ in their ports, and the guest's
// transmit steering spreads them), every TCP flow to the same listener.
inline constexpr int kUdpEchoPort = 5001;    // each datagram sent back
inline constexpr int kTcpEchoPort = 5101;    // every byte sent back: request/response
inline constexpr int kTcpStreamPort = 5201;  // a patterned stream, until the peer closes
inline constexpr int kMaxFlows = 16;

// Byte `offset` of the TCP stream; guest_net.c checks every byte with the
// same function.
uint8_t StreamByte(uint64_t offset);

struct NetLabOptions {
  std::string tap = "pk0";
  std::string address = "192.0.2.1";  // the TAP's, in a /24
  bool multi_queue = false;           // IFF_MULTI_QUEUE: more than one queue pair attaches
};

class NetLab {
 public:
  // Fails, saying why, where no namespace can be made (it needs root).
  static Result<std::unique_ptr<NetLab>> Create(const NetLabOptions& options);
  ~NetLab();
  NetLab(const NetLab&) = delete;
  NetLab& operator=(const NetLab&) = delete;

  int netns_fd() const { return netns_fd_; }
  const NetLabOptions& options() const { return options_; }

 private:
  struct Connection;
  NetLab() = default;
  Status Furnish();
  void Serve();

  NetLabOptions options_;
  int netns_fd_ = -1, stop_fd_ = -1, echo_listener_ = -1, stream_listener_ = -1;
  std::vector<int> udp_;
  std::thread server_;
};

}  // namespace perfkit::qemu
