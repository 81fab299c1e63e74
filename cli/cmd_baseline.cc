#include "cli/cmd_baseline.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/baseline.h"
#include "app/database.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {
namespace {

int Save(const app::BaselineRequest& r) {
  auto saved = app::SaveBaseline(r);
  if (!saved.ok()) return Fail(saved.status());
  if (saved->run.status != RunStatus::kComplete) {
    fmt::print(stderr, "warning: run {} is {}, not complete\n", saved->run.id,
               RunStatusName(saved->run.status));
  }
  fmt::print("saved run {} ({}) as baseline '{}' ({} saves)\n", saved->run.id,
             saved->run.uuid.substr(0, 8), r.name, saved->saves);
  return kExitSuccess;
}

int List(const app::BaselineRequest& r) {
  auto list = app::ListBaselines(r);
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

int Show(const app::BaselineRequest& r) {
  auto history = app::ShowBaseline(r);
  if (!history.ok()) return Fail(history.status());
  fmt::print("baseline '{}': newest first; the first line is what the name means\n", r.name);
  fmt::print("{:>7}  {:<8}  {:<20}  {:<20}\n", "run", "uuid", "run started", "saved");
  for (const auto& s : *history) {
    fmt::print("{:>7}  {:<8}  {:<20}  {:<20}\n", s.run_id, s.run_uuid.substr(0, 8),
               s.run_started_at, s.saved_at);
  }
  return kExitSuccess;
}

int Export(const app::BaselineRequest& r, const std::string& output) {
  auto json = app::ExportBaseline(r);
  if (!json.ok()) return Fail(json.status());
  return WriteOutput(output, *json);
}

int Import(const app::BaselineRequest& r) {
  auto run = app::ImportBaseline(r);
  if (!run.ok()) return Fail(run.status());
  fmt::print("imported {} as run {} and saved it as baseline '{}'\n", r.file, run->id, r.name);
  return kExitSuccess;
}

}  // namespace

int RunBaseline(const BaselineOptions& o) {
  app::BaselineRequest r{app::ResolveStore(o.db), o.name, o.run.empty() ? "latest" : o.run, o.file};
  if (o.action == "save") return Save(r);
  if (o.action == "list") return List(r);
  if (o.action == "show") return Show(r);
  if (o.action == "export") return Export(r, o.output);
  if (o.action == "import") return Import(r);
  if (o.action == "delete") {
    if (Status st = app::DeleteBaseline(r); !st.ok()) return Fail(st);
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
