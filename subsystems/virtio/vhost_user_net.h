// perfkit's virtio-net device behind the vhost-user protocol, for QEMU's
// `-netdev vhost-user` with `virtio-net-pci`: QEMU keeps the device model
// (MAC, link status, the control queue, which queue pairs are enabled) and
// hands this back end the receive and transmit rings of each queue pair.
// Frames the guest transmits are either turned around (--reflect: answered
// as if by the host they were sent to, without any host network stack) or
// written to a TAP device, one TAP queue per queue pair; frames read from
// the TAP go into that pair's receive ring. On a TAP the device offers
// checksum and TCP segmentation offloads both ways, which the TAP's virtio
// headers carry: a guest sends and takes 64 KiB TCP frames, not MTU-sized
// ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/virtio/net_device.h"
#include "subsystems/virtio/vhost_user_server.h"

namespace perfkit::virtio {

struct VhostUserNetOptions {
  std::string socket_path;
  uint16_t queue_pairs = 1;
  uint16_t threads = 0;  // serving the pairs; 0: WorkersFor's default
  bool reflect = false;  // otherwise `tap` names the TAP device
  std::string tap;
  bool event_idx = true;  // offer VIRTIO_F_EVENT_IDX
  bool indirect = true;   // offer VIRTIO_F_INDIRECT_DESC
  bool offloads = true;   // with a TAP: offer checksum and TSO offloads
  bool keep_listening = false;
};

struct VhostUserNetReport : VhostUserReport {
  NetStats net;
};

class VhostUserNetServer {
 public:
  // Opens the TAP queues (the device must be allowed: CAP_NET_ADMIN, or a
  // TAP made for this user) and listens.
  static Result<VhostUserNetServer> Listen(const VhostUserNetOptions& options);
  VhostUserNetServer(VhostUserNetServer&& other) noexcept;
  VhostUserNetServer& operator=(VhostUserNetServer&&) = delete;
  ~VhostUserNetServer();
  Result<VhostUserNetReport> Serve(int stop_fd);

 private:
  VhostUserNetServer(VhostUserNetOptions options, VhostUserServer server, std::vector<int> taps)
      : options_(std::move(options)), server_(std::move(server)), taps_(std::move(taps)) {}
  VhostUserNetOptions options_;
  VhostUserServer server_;
  std::vector<int> taps_;  // one per queue pair; empty with --reflect
};

// Opens `name`'s queues on /dev/net/tun (creating the TAP device if it does
// not exist), non-blocking, without packet information, each frame behind
// a 12-byte virtio_net_hdr.
Result<std::vector<int>> OpenTapQueues(const std::string& name, uint16_t queues);

}  // namespace perfkit::virtio
