#include "app/run_ref.h"

#include <sys/stat.h>

#include "app/files.h"
#include "app/run_record.h"
#include "baselines/run_ref.h"
#include "build_info.h"
#include "report/gbench_json.h"

namespace perfkit::app {

bool IsFileRef(const std::string& ref) {
  struct stat st {};
  return stat(ref.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<RunRecord> ResolveRun(store::Store* store, const std::string& ref,
                             const std::string& same_host) {
  if (IsFileRef(ref)) return LoadGbenchFile(ref);
  struct stat st {};
  if (stat(ref.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::Error("'" + ref + "' is a directory, not a run, baseline or file");
  }
  if (store == nullptr) return Status::Error("no run, baseline or file '" + ref + "'");
  auto is_baseline = store->HasBaseline(ref);
  if (!is_baseline.ok()) return is_baseline.status();
  if (*is_baseline) {
    auto history = store->BaselineHistory(ref);
    if (!history.ok()) return history.status();
    if (history->empty()) return Status::Error("baseline '" + ref + "' names no run");
    if (same_host.empty()) return store->LoadRun(std::to_string(history->front().run_id));
    std::string hosts;
    for (const store::BaselineSave& save : *history) {
      if (save.host_fingerprint == same_host) return store->LoadRun(std::to_string(save.run_id));
      if (hosts.find(save.host_fingerprint) == std::string::npos) {
        hosts += (hosts.empty() ? "" : ", ") + save.host_fingerprint;
      }
    }
    return Status::Error("baseline '" + ref + "' has no save from host " + same_host +
                         " (its saves come from " + hosts + "; see 'perfkit hosts')");
  }
  auto run = store->LoadRun(ref);
  if (run.ok() || ref == "latest") return run;
  // A run reference that names no run, or names it ambiguously or out of
  // range, says so; anything else was meant as a baseline or a file.
  if (store::ParseRunRef(ref).ok()) return run.status();
  if (ref.find_first_not_of("0123456789") == std::string::npos) return run.status();
  return Status::Error("no run, baseline or file '" + ref +
                       "' (see 'perfkit runs', 'perfkit baseline list')");
}

Result<RunRecord> LoadGbenchFile(const std::string& file) {
  auto text = ReadFile(file);
  if (!text.ok()) return text.status();
  auto run = report::FromGbenchJson(*text, file);
  if (!run.ok()) return run.status();
  run->uuid = NewUuid();
  if (run->started_at.empty()) run->started_at = NowIso8601();
  run->ended_at = NowIso8601();
  run->command_line = Invocation();
  run->perfkit_version = PERFKIT_VERSION;
  return run;
}

}  // namespace perfkit::app
