// `perfkit sync`: runs recorded in one store (a runner's offline
// perfkit.db) copied into another (the shared PostgreSQL store), with
// their profiles and baseline saves. Idempotent by run uuid: a second sync
// copies nothing.
#pragma once

#include <string>

#include "baselines/location.h"
#include "subsystems/base/status.h"

namespace perfkit::app {

struct SyncRequest {
  store::StoreLocation from;
  store::StoreLocation to;
};

struct SyncOutcome {
  int copied = 0;
  int already_there = 0;
  int still_running = 0;  // being measured now: left for a later sync
  int baseline_saves = 0;
};

Result<SyncOutcome> Sync(const SyncRequest& request);

}  // namespace perfkit::app
