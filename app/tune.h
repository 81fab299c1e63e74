// perfkit tune: measure this host's best CRC engine per size band and where
// streaming stores start to win, store the choice (with the run that measured
// it) per host fingerprint, and have dispatch follow it wherever perfkit
// measures on this host. Optional: the defaults stand without it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "baselines/store.h"
#include "results/tuning.h"
#include "subsystems/base/status.h"

namespace perfkit::app {

struct TuneRequest {
  store::StoreLocation db;
  bool quick = false;
};

struct TuneOutcome {
  Tuning tuning;
  std::vector<std::string> notes;  // what the streaming choices rest on
  int benchmarks = 0;              // cells measured and stored with the run
};

Result<TuneOutcome> Tune(const TuneRequest& request,
                         const std::function<void(const std::string&)>& progress);

// This host's stored tuning; none when the store does not exist yet.
Result<std::optional<Tuning>> StoredTuning(const store::StoreLocation& db);
// Forgets it; false when there was none.
Result<bool> ResetTuning(const store::StoreLocation& db);

// Dispatch follows `tuning` from now on, all of it or none: an engine this
// binary or CPU cannot run is refused with its name.
Status ApplyTuning(const Tuning& tuning);
// This host's stored tuning applied, if the store holds one. A tuning that
// cannot apply, or a store that cannot be read, is a warning for stderr (the
// defaults stand), not an error.
struct Applied {
  std::optional<Tuning> tuning;  // none: the defaults
  std::string warning;
};
Applied ApplyStoredTuning(store::Store& store);
Applied ApplyStoredTuning(const store::StoreLocation& db);

}  // namespace perfkit::app
