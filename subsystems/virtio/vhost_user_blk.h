// perfkit's virtio-blk device behind the vhost-user protocol: it listens on
// a Unix socket, QEMU's vhost-user-blk-pci connects, hands over the guest's
// memory (memfd descriptors) and each ring's kick and call eventfds, and
// the guest's own virtio_blk driver then drives DeviceQueue and BlkBackend
// here. One thread, one epoll: the socket, the kicks and a stop descriptor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/virtio/blk_device.h"

namespace perfkit::virtio {

struct VhostUserBlkOptions {
  std::string socket_path;
  std::string file;
  bool event_idx = true;  // offer VIRTIO_F_EVENT_IDX
  bool indirect = true;   // offer VIRTIO_F_INDIRECT_DESC
  // seg_max is queue_size - 2, as QEMU's own virtio-blk says: a request's
  // header and status take the other two descriptors.
  uint16_t queue_size = 128;
  uint16_t max_queues = 4;
  bool keep_listening = false;  // after a front end leaves, wait for the next
};

struct VhostUserBlkReport {
  BlkStats blk;
  uint64_t kicks = 0;               // kick eventfd wake-ups
  uint64_t notifications = 0;       // call eventfd writes
  uint64_t malformed = 0;           // chains refused
  std::vector<std::string> errors;  // the first few, for the log
  uint64_t negotiated_features = 0;
};

class VhostUserBlkServer {
 public:
  // Binds and listens (replacing a stale socket file, refusing any other
  // kind of file at that path).
  static Result<VhostUserBlkServer> Listen(const VhostUserBlkOptions& options);
  VhostUserBlkServer(VhostUserBlkServer&& other) noexcept;
  VhostUserBlkServer& operator=(VhostUserBlkServer&&) = delete;
  ~VhostUserBlkServer();

  // Serves front ends until one disconnects (or, with keep_listening, until
  // `stop_fd` becomes readable). Everything a connection opened is closed
  // and unmapped when it ends.
  Result<VhostUserBlkReport> Serve(int stop_fd);

 private:
  VhostUserBlkServer(VhostUserBlkOptions options, int listen_fd, BlkBackend blk);
  VhostUserBlkOptions options_;
  int listen_fd_;
  BlkBackend blk_;
};

}  // namespace perfkit::virtio
