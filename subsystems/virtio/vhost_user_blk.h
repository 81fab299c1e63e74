// perfkit's virtio-blk device behind the vhost-user protocol: QEMU's
// vhost-user-blk-pci connects to the server (vhost_user_server.h) and the
// guest's own virtio_blk driver then drives DeviceQueue and BlkBackend here.
#pragma once

#include <cstdint>
#include <string>

#include "subsystems/base/status.h"
#include "subsystems/virtio/blk_device.h"
#include "subsystems/virtio/vhost_user_server.h"

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
  uint16_t threads = 0;         // serving the queues; 0: WorkersFor's default
  bool keep_listening = false;  // after a front end leaves, wait for the next
};

struct VhostUserBlkReport : VhostUserReport {
  BlkStats blk;
};

class VhostUserBlkServer {
 public:
  static Result<VhostUserBlkServer> Listen(const VhostUserBlkOptions& options);
  // Serves front ends until one disconnects (or, with keep_listening, until
  // `stop_fd` becomes readable).
  Result<VhostUserBlkReport> Serve(int stop_fd);

 private:
  VhostUserBlkServer(VhostUserBlkOptions options, VhostUserServer server, BlkBackend blk)
      : options_(std::move(options)), server_(std::move(server)), blk_(std::move(blk)) {}
  VhostUserBlkOptions options_;
  VhostUserServer server_;
  BlkBackend blk_;
};

}  // namespace perfkit::virtio
