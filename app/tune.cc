#include "app/tune.h"

#include <fmt/format.h>

#include "app/database.h"
#include "app/run_record.h"
#include "subsystems/crc32/crc32.h"
#include "subsystems/memops/memops.h"
#include "suites/harness/host_context.h"
#include "suites/tune.h"

namespace perfkit::app {
namespace {

std::string ThisHost() {
  static const std::string fingerprint = harness::HostFingerprint();
  return fingerprint;
}

Status UseBands(crc32::Kind kind, const std::vector<TunedBand>& tuned) {
  std::vector<crc32::Band> bands;
  for (const TunedBand& b : tuned) bands.push_back({static_cast<size_t>(b.from_bytes), b.engine});
  return crc32::UseBands(kind, bands);
}

}  // namespace

Status ApplyTuning(const Tuning& tuning) {
  if (Status s = UseBands(crc32::Kind::kCrc32, tuning.crc32); !s.ok()) return s;
  if (Status s = UseBands(crc32::Kind::kCrc32c, tuning.crc32c); !s.ok()) {
    crc32::ClearBands(crc32::Kind::kCrc32);
    return s;
  }
  memops::UseStreamingThresholds(static_cast<size_t>(tuning.copy_stream_from),
                                 static_cast<size_t>(tuning.set_stream_from));
  if (tuning.copy_rep_movsb_from) {
    memops::UseRepMovsbFrom(static_cast<size_t>(*tuning.copy_rep_movsb_from));
  }
  if (tuning.set_rep_stosb_from) {
    memops::UseRepStosbFrom(static_cast<size_t>(*tuning.set_rep_stosb_from));
  }
  return OkStatus();
}

Applied ApplyStoredTuning(store::Store& store) {
  Applied out;
  auto tuning = store.LoadTuning(ThisHost());
  if (!tuning.ok()) {
    out.warning = tuning.status().message() + "; the defaults stand (perfkit tune measures anew)";
    return out;
  }
  if (!tuning->has_value()) return out;
  if (Status s = ApplyTuning(**tuning); !s.ok()) {
    out.warning = "the stored tuning of this host is not used: " + s.message() +
                  "; the defaults stand (perfkit tune measures anew)";
    return out;
  }
  out.tuning = std::move(*tuning);
  return out;
}

Applied ApplyStoredTuning(const store::StoreLocation& db) {
  if (!db.MayHoldRuns()) return Applied{};
  auto store = OpenStore(db, store::OpenMode::kReadOnly);
  if (!store.ok()) return Applied{{}, "no tuning read: " + store.status().message()};
  return ApplyStoredTuning(**store);
}

Result<std::optional<Tuning>> StoredTuning(const store::StoreLocation& db) {
  if (!db.MayHoldRuns()) return std::optional<Tuning>();
  auto store = OpenStore(db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  return (*store)->LoadTuning(ThisHost());
}

Result<bool> ResetTuning(const store::StoreLocation& db) {
  if (!db.MayHoldRuns()) return false;
  auto store = OpenStore(db);
  if (!store.ok()) return store.status();
  return (*store)->DeleteTuning(ThisHost());
}

Result<TuneOutcome> Tune(const TuneRequest& request,
                         const std::function<void(const std::string&)>& progress) {
  // Opened first: a store that cannot be written is said before a minute of
  // measuring, not after.
  auto store = OpenStore(request.db);
  if (!store.ok()) return store.status();
  suites::TuneMeasurement m = suites::MeasureTuning({request.quick, progress});
  RunRecord run = NewRunRecord({{"tune", request.quick ? "quick" : "full"}}, "perfkit");
  run.benchmarks = std::move(m.benchmarks);
  run.status = RunStatus::kComplete;
  run.ended_at = NowIso8601();
  if (Status s = (*store)->SaveRun(run); !s.ok()) return s;
  TuneOutcome out;
  out.benchmarks = static_cast<int>(run.benchmarks.size());
  out.notes = std::move(m.notes);
  out.tuning = std::move(m.tuning);
  out.tuning.host_fingerprint = run.host.fingerprint;
  out.tuning.created_at = run.ended_at;
  out.tuning.run_id = run.id;
  if (Status s = (*store)->SaveTuning(out.tuning); !s.ok()) return s;
  if (Status s = ApplyTuning(out.tuning); !s.ok()) return s;
  return out;
}

}  // namespace perfkit::app
