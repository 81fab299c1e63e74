// `perfkit virtio serve-blk`: perfkit's vhost-user-blk back end as a
// process of its own, for QEMU (or the virtio suite) to connect to. It runs
// until the front end disconnects, or SIGINT/SIGTERM.
#pragma once

#include <functional>

#include "subsystems/base/status.h"
#include "subsystems/virtio/vhost_user_blk.h"

namespace perfkit::suites {

struct VirtioServeOptions {
  virtio::VhostUserBlkOptions blk;
  int ready_fd = -1;                   // written "ready\n" once listening, then closed
  std::function<void()> on_listening;  // called once the socket listens
};

Result<virtio::VhostUserBlkReport> ServeVirtioBlk(const VirtioServeOptions& options);

}  // namespace perfkit::suites
