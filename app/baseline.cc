#include "app/baseline.h"

#include "app/database.h"
#include "app/run_record.h"
#include "app/run_ref.h"
#include "report/gbench_json.h"

namespace perfkit::app {
namespace {

using StorePtr = std::unique_ptr<store::Store>;

Result<StorePtr> Writable(const BaselineRequest& r) {
  if (Status s = store::ValidateBaselineName(r.name); !s.ok()) return s;
  return OpenStore(r.db);
}

}  // namespace

Result<BaselineSaved> SaveBaseline(const BaselineRequest& request) {
  auto store = Writable(request);
  if (!store.ok()) return store.status();
  BaselineSaved out;
  auto run = (*store)->LoadRun(request.run);
  if (!run.ok()) return run.status();
  out.run = std::move(*run);
  out.run.benchmarks.clear();
  if (Status s = (*store)->SaveBaseline(request.name, out.run.id, NowIso8601()); !s.ok()) return s;
  auto history = (*store)->BaselineHistory(request.name);
  out.saves = history.ok() ? history->size() : 1;
  return out;
}

Result<std::vector<store::BaselineListing>> ListBaselines(const BaselineRequest& request) {
  auto store = OpenStore(request.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  return (*store)->ListBaselines();
}

Result<std::vector<store::BaselineSave>> ShowBaseline(const BaselineRequest& request) {
  auto store = OpenStore(request.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  return (*store)->BaselineHistory(request.name);
}

Status DeleteBaseline(const BaselineRequest& request) {
  auto store = OpenStore(request.db);
  if (!store.ok()) return store.status();
  return (*store)->DeleteBaseline(request.name);
}

Result<std::string> ExportBaseline(const BaselineRequest& request) {
  auto store = OpenStore(request.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  auto history = (*store)->BaselineHistory(request.name);
  if (!history.ok()) return history.status();
  auto run = (*store)->LoadRun(std::to_string(history->front().run_id));
  if (!run.ok()) return run.status();
  return report::ToGbenchJson(*run);
}

Result<RunRecord> ImportBaseline(const BaselineRequest& request) {
  if (Status s = store::ValidateBaselineName(request.name); !s.ok()) return s;
  auto run = LoadGbenchFile(request.file);
  if (!run.ok()) return run.status();
  auto store = OpenStore(request.db);
  if (!store.ok()) return store.status();
  run->tags["baseline"] = request.name;
  if (Status s = (*store)->SaveRun(*run); !s.ok()) return s;
  if (Status s = (*store)->SaveBaseline(request.name, run->id, NowIso8601()); !s.ok()) return s;
  return run;
}

}  // namespace perfkit::app
