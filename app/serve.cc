#include "app/serve.h"

namespace perfkit::app {

int RunRingPeer(const RingPeerRequest& request) { return suites::RunRingPeer(request); }

Result<ServeBlkOutcome> ServeBlk(const ServeBlkRequest& request) {
  return suites::ServeVirtioBlk(request);
}

Result<ServeNetOutcome> ServeNet(const ServeNetRequest& request) {
  return suites::ServeVirtioNet(request);
}

}  // namespace perfkit::app
