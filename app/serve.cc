#include "app/serve.h"

namespace perfkit::app {

int RunRingPeer(const RingPeerRequest& request) { return suites::RunRingPeer(request); }

Result<ServeBlkOutcome> ServeBlk(const ServeBlkRequest& request) {
  return suites::ServeVirtioBlk(request);
}

}  // namespace perfkit::app
