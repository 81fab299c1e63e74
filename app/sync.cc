#include "app/sync.h"

#include <climits>
#include <set>
#include <utility>

#include "app/database.h"

namespace perfkit::app {
namespace {

// Oldest first, so the copies keep the order the runs were made in.
Status CopyRuns(store::Store& from, store::Store& to, SyncOutcome& out) {
  auto there = to.RunUuids();
  if (!there.ok()) return there.status();
  auto listed = from.ListRuns(INT_MAX);
  if (!listed.ok()) return listed.status();
  for (auto it = listed->rbegin(); it != listed->rend(); ++it) {
    if (there->count(it->run.uuid) != 0) {
      ++out.already_there;
      continue;
    }
    if (it->run.status == RunStatus::kRunning) {
      ++out.still_running;
      continue;
    }
    auto run = from.LoadRun(std::to_string(it->run.id));
    if (!run.ok()) return run.status();
    auto profiles = from.LoadProfiles(run->id);
    if (!profiles.ok()) return profiles.status();
    // A run whose process died is stored as what it is: interrupted.
    if (run->status == RunStatus::kAbandoned) run->status = RunStatus::kInterrupted;
    if (Status s = to.SaveRun(*run, *profiles); !s.ok()) {
      return s.WithPrefix("run " + run->uuid.substr(0, 8) + ": ");
    }
    ++out.copied;
  }
  return OkStatus();
}

// A save is the same save when its name, run and time agree.
Status CopyBaselineSaves(store::Store& from, store::Store& to, SyncOutcome& out) {
  auto baselines = from.ListBaselines();
  if (!baselines.ok()) return baselines.status();
  for (const auto& b : *baselines) {
    auto saves = from.BaselineHistory(b.name);
    if (!saves.ok()) return saves.status();
    std::set<std::pair<std::string, std::string>> saved;
    auto has = to.HasBaseline(b.name);
    if (!has.ok()) return has.status();
    if (*has) {
      auto history = to.BaselineHistory(b.name);
      if (!history.ok()) return history.status();
      for (const auto& h : *history) saved.insert({h.run_uuid, h.saved_at});
    }
    for (auto it = saves->rbegin(); it != saves->rend(); ++it) {
      if (saved.count({it->run_uuid, it->saved_at}) != 0) continue;
      auto run = to.LoadRun("uuid:" + it->run_uuid);
      if (!run.ok()) continue;  // its run is still running, or not ours to copy
      if (Status s = to.SaveBaseline(b.name, run->id, it->saved_at); !s.ok()) return s;
      ++out.baseline_saves;
    }
  }
  return OkStatus();
}

}  // namespace

Result<SyncOutcome> Sync(const SyncRequest& request) {
  if (request.from == request.to) {
    return Status::InvalidArgument("--from and --to are the same store ('" + request.from.shown() +
                                   "')");
  }
  if (!request.from.MayHoldRuns()) {
    return Status::Error("no database '" + request.from.shown() + "' to sync from");
  }
  auto from = OpenStore(request.from, store::OpenMode::kReadOnly);
  if (!from.ok()) return from.status();
  auto to = OpenStore(request.to);
  if (!to.ok()) return to.status();
  SyncOutcome out;
  if (Status s = CopyRuns(**from, **to, out); !s.ok()) return s;
  if (Status s = CopyBaselineSaves(**from, **to, out); !s.ok()) return s;
  return out;
}

}  // namespace perfkit::app
