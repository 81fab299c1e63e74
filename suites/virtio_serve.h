// `perfkit virtio serve-blk` and `serve-net`: perfkit's vhost-user back ends
// as a process of their own, for QEMU (or the virtio suite) to connect to.
// They run until the front end disconnects, or SIGINT/SIGTERM.
#pragma once

#include <functional>

#include "subsystems/base/status.h"
#include "subsystems/virtio/vhost_user_blk.h"
#include "subsystems/virtio/vhost_user_net.h"

namespace perfkit::suites {

struct VirtioServeOptions {
  virtio::VhostUserBlkOptions blk;     // serve-blk's
  virtio::VhostUserNetOptions net;     // serve-net's
  int ready_fd = -1;                   // written "ready\n" once listening, then closed
  std::function<void()> on_listening;  // called once the socket listens
};

Result<virtio::VhostUserBlkReport> ServeVirtioBlk(const VirtioServeOptions& options);
Result<virtio::VhostUserNetReport> ServeVirtioNet(const VirtioServeOptions& options);

}  // namespace perfkit::suites
