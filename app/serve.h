// The processes perfkit runs of itself, on the far side of a benchmark:
// `perfkit rings peer` (the receiver of the rings suite's IPC benchmarks) and
// `perfkit virtio serve-blk` and `serve-net` (the vhost-user back ends a QEMU
// guest uses).
#pragma once

#include "subsystems/base/status.h"
#include "suites/rings_peer.h"
#include "suites/virtio_serve.h"

namespace perfkit::app {

using RingPeerRequest = suites::RingPeerOptions;
using suites::Transport;
// Runs until told to stop or the sender goes away; returns the exit code.
int RunRingPeer(const RingPeerRequest& request);

using ServeBlkRequest = suites::VirtioServeOptions;
using ServeBlkOutcome = virtio::VhostUserBlkReport;
Result<ServeBlkOutcome> ServeBlk(const ServeBlkRequest& request);

using ServeNetRequest = suites::VirtioServeOptions;
using ServeNetOutcome = virtio::VhostUserNetReport;
Result<ServeNetOutcome> ServeNet(const ServeNetRequest& request);

}  // namespace perfkit::app
