#include "cli/cmd_baseline.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/database.h"
#include "app/files.h"
#include "app/run_record.h"
#include "app/run_ref.h"
#include "cli/command.h"
#include "cli/common.h"
#include "report/gbench_json.h"

namespace perfkit::cli {
namespace {

int Save(store::Store& store, const BaselineOptions& o) {
  if (Status s = store::ValidateBaselineName(o.name); !s.ok()) return Fail(kExitUsage, s.message());
  auto run = store.LoadRun(o.run);
  if (!run.ok()) return Fail(run.status());
  if (run->status != RunStatus::kComplete) {
    fmt::print(stderr, "warning: run {} is {}, not complete\n", run->id,
               RunStatusName(run->status));
  }
  if (Status s = store.SaveBaseline(o.name, run->id, app::NowIso8601()); !s.ok()) {
    return Fail(kExitFailure, s.message());
  }
  auto history = store.BaselineHistory(o.name);
  fmt::print("saved run {} ({}) as baseline '{}' ({} saves)\n", run->id, run->uuid.substr(0, 8),
             o.name, history.ok() ? history->size() : 1);
  return kExitSuccess;
}

int List(store::Store& store) {
  auto list = store.ListBaselines();
  if (!list.ok()) return Fail(list.status());
  if (list->empty()) {
    fmt::print("no baselines yet (perfkit baseline save NAME [RUN])\n");
    return kExitSuccess;
  }
  fmt::print("{:<20}  {:>7}  {:<20}  {:>5}\n", "baseline", "run", "saved", "saves");
  for (const auto& b : *list) {
    fmt::print("{:<20}  {:>7}  {:<20}  {:>5}\n", b.name, b.latest_run_id, b.latest_saved_at,
               b.saves);
  }
  return kExitSuccess;
}

int Show(store::Store& store, const BaselineOptions& o) {
  auto history = store.BaselineHistory(o.name);
  if (!history.ok()) return Fail(history.status());
  fmt::print("baseline '{}': newest first; the first line is what the name means\n", o.name);
  fmt::print("{:>7}  {:<8}  {:<20}  {:<20}\n", "run", "uuid", "run started", "saved");
  for (const auto& s : *history) {
    fmt::print("{:>7}  {:<8}  {:<20}  {:<20}\n", s.run_id, s.run_uuid.substr(0, 8),
               s.run_started_at, s.saved_at);
  }
  return kExitSuccess;
}

int Export(store::Store& store, const BaselineOptions& o) {
  auto history = store.BaselineHistory(o.name);
  if (!history.ok()) return Fail(history.status());
  auto run = store.LoadRun(std::to_string(history->front().run_id));
  if (!run.ok()) return Fail(run.status());
  const std::string json = report::ToGbenchJson(*run);
  if (o.output.empty() || o.output == "-") {
    fmt::print("{}", json);
    return kExitSuccess;
  }
  if (Status s = app::WriteFileAtomically(o.output, json); !s.ok())
    return Fail(kExitFailure, s.message());
  return kExitSuccess;
}

int Import(store::Store& store, const BaselineOptions& o) {
  if (Status s = store::ValidateBaselineName(o.name); !s.ok()) return Fail(kExitUsage, s.message());
  auto run = app::LoadGbenchFile(o.file);
  if (!run.ok()) return Fail(run.status());
  run->tags["baseline"] = o.name;
  if (Status s = store.SaveRun(*run); !s.ok()) return Fail(kExitFailure, s.message());
  if (Status s = store.SaveBaseline(o.name, run->id, app::NowIso8601()); !s.ok()) {
    return Fail(kExitFailure, s.message());
  }
  fmt::print("imported {} as run {} and saved it as baseline '{}'\n", o.file, run->id, o.name);
  return kExitSuccess;
}

}  // namespace

int RunBaseline(const BaselineOptions& o) {
  const bool writes = o.action == "save" || o.action == "delete" || o.action == "import";
  auto store =
      app::OpenStore(o.db, writes ? store::OpenMode::kReadWrite : store::OpenMode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  store::Store& s = **store;
  if (o.action == "save") return Save(s, o);
  if (o.action == "list") return List(s);
  if (o.action == "show") return Show(s, o);
  if (o.action == "export") return Export(s, o);
  if (o.action == "import") return Import(s, o);
  if (o.action == "delete") {
    if (Status st = s.DeleteBaseline(o.name); !st.ok()) return Fail(kExitFailure, st.message());
    fmt::print("deleted baseline '{}' (its runs are kept)\n", o.name);
    return kExitSuccess;
  }
  return Fail(kExitUsage, "unknown baseline action '" + o.action + "'");
}

Runner AddBaseline(CLI::App& app) {
  auto opts = std::make_shared<BaselineOptions>();
  CLI::App* cmd = app.add_subcommand("baseline", "Name runs to compare against");
  cmd->require_subcommand(1);
  auto db = [&](CLI::App* sub) { AddDbFlag(sub, &opts->db); };
  CLI::App* save = cmd->add_subcommand("save", "Save a run under a name (keeps earlier saves)");
  save->add_option("name", opts->name, "Baseline name, e.g. main, v1.0.0, pr-123")->required();
  save->add_option("run", opts->run, "Run id, uuid or 'latest' (default)");
  CLI::App* list = cmd->add_subcommand("list", "List baselines");
  CLI::App* show = cmd->add_subcommand("show", "Show a baseline's history");
  show->add_option("name", opts->name, "Baseline name")->required();
  CLI::App* del = cmd->add_subcommand("delete", "Delete a baseline (never its runs)");
  del->add_option("name", opts->name, "Baseline name")->required();
  CLI::App* exp = cmd->add_subcommand("export", "Write a baseline's run as Google Benchmark JSON");
  exp->add_option("name", opts->name, "Baseline name")->required();
  exp->add_option("-o,--output", opts->output, "Output file (default: stdout)");
  CLI::App* imp = cmd->add_subcommand("import", "Store a Google Benchmark JSON file as a baseline");
  imp->add_option("name", opts->name, "Baseline name")->required();
  imp->add_option("file", opts->file, "Google Benchmark JSON")->required();
  for (CLI::App* sub : {save, list, show, del, exp, imp}) db(sub);
  return [opts, cmd] {
    BaselineOptions o = *opts;
    o.action = cmd->get_subcommands().front()->get_name();
    return RunBaseline(o);
  };
}

}  // namespace perfkit::cli
