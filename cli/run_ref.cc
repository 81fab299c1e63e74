#include "cli/run_ref.h"

#include <sys/stat.h>

#include "cli/cmd_import.h"

namespace perfkit::cli {

bool IsFileRef(const std::string& ref) {
  struct stat st{};
  return stat(ref.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<RunRecord> ResolveRun(store::Store* store, const std::string& ref) {
  if (IsFileRef(ref)) return LoadGbenchFile(ref);
  if (store == nullptr) return Status::Error("no run, baseline or file '" + ref + "'");
  auto is_baseline = store->HasBaseline(ref);
  if (!is_baseline.ok()) return is_baseline.status();
  if (*is_baseline) {
    auto history = store->BaselineHistory(ref);
    if (!history.ok()) return history.status();
    if (history->empty()) return Status::Error("baseline '" + ref + "' names no run");
    return store->LoadRun(std::to_string(history->front().run_id));
  }
  auto run = store->LoadRun(ref);
  if (!run.ok() && ref != "latest") {
    return Status::Error("no run, baseline or file '" + ref + "' (see 'perfkit runs', "
                         "'perfkit baseline list')");
  }
  return run;
}

}  // namespace perfkit::cli
