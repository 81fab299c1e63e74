// `perfkit runs [--limit N] [--json]`: the stored runs, newest first.
#include "cli/cmd_runs.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/database.h"
#include "app/runs.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

namespace {

std::string Tags(const std::map<std::string, std::string>& tags) {
  std::string out;
  for (const auto& [k, v] : tags) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

}  // namespace

int RunRuns(const RunsOptions& options) {
  const store::StoreLocation db = app::ResolveStore(options.db);
  auto runs = app::ListRuns({db, options.limit, options.host});
  if (!runs.ok()) return Fail(runs.status());
  if (options.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& l : *runs) {
      nlohmann::json claims = nlohmann::json::object();
      for (const auto& [status, count] : l.claims) claims[ClaimStatusName(status)] = count;
      out.push_back({{"id", l.run.id},
                     {"uuid", l.run.uuid},
                     {"started_at", l.run.started_at},
                     {"ended_at", l.run.ended_at},
                     {"status", RunStatusName(l.run.status)},
                     {"source", l.run.source},
                     {"benchmarks", l.benchmarks},
                     {"samples", l.samples},
                     {"claims", claims},
                     {"tags", l.run.tags},
                     {"command_line", l.run.command_line},
                     {"git_commit", l.run.git_commit},
                     {"host_fingerprint", l.run.host.fingerprint}});
    }
    fmt::print("{}\n", out.dump(2));
    return kExitSuccess;
  }
  if (runs->empty()) {
    fmt::print("no runs in {} yet (run 'perfkit bench')\n", db.shown());
    return kExitSuccess;
  }
  fmt::print("{:>5}  {:<8}  {:<20}  {:<11}  {:<7}  {:>10}  {:>7}  {:>11}  {}\n", "id", "uuid",
             "started", "status", "source", "benchmarks", "samples", "claims met", "tags");
  for (const auto& l : *runs) {
    int64_t total = 0;
    for (const auto& [status, count] : l.claims) total += count;
    const auto met = l.claims.find(ClaimStatus::kMet);
    const std::string claims =
        total == 0 ? "-" : fmt::format("{} of {}", met == l.claims.end() ? 0 : met->second, total);
    fmt::print("{:>5}  {:<8}  {:<20}  {:<11}  {:<7}  {:>10}  {:>7}  {:>11}  {}\n", l.run.id,
               l.run.uuid.substr(0, 8), l.run.started_at, RunStatusName(l.run.status), l.run.source,
               l.benchmarks, l.samples, claims, Tags(l.run.tags));
  }
  return kExitSuccess;
}

Runner AddRuns(CLI::App& app) {
  auto opts = std::make_shared<RunsOptions>();
  CLI::App* cmd = app.add_subcommand("runs", "List stored runs, newest first");
  cmd->add_option("--limit", opts->limit, "How many runs")->check(CLI::PositiveNumber);
  cmd->add_option("--host", opts->host,
                  "Only runs from this host: a fingerprint (4+ leading digits) or a hostname");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  AddDbFlag(cmd, &opts->db);
  return [opts] { return RunRuns(*opts); };
}

int RunHosts(const HostsOptions& options) {
  const store::StoreLocation db = app::ResolveStore(options.db);
  auto listed = app::ListHosts(db);
  if (!listed.ok()) return Fail(listed.status());
  const std::vector<store::HostListing>& hosts = *listed;
  if (options.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : hosts) {
      out.push_back({{"fingerprint", h.fingerprint},
                     {"name", h.name},
                     {"cpu_model", h.cpu_model},
                     {"kernel", h.kernel},
                     {"runs", h.runs},
                     {"last_run_at", h.last_run_at}});
    }
    fmt::print("{}\n", out.dump(2));
    return kExitSuccess;
  }
  if (hosts.empty()) {
    fmt::print("no runs in {} yet (run 'perfkit bench')\n", db.shown());
    return kExitSuccess;
  }
  fmt::print("{:<16}  {:<16}  {:>5}  {:<20}  {:<24}  {}\n", "fingerprint", "name", "runs",
             "last run", "kernel", "cpu");
  for (const auto& h : hosts) {
    fmt::print("{:<16}  {:<16}  {:>5}  {:<20}  {:<24}  {}\n", h.fingerprint, h.name, h.runs,
               h.last_run_at, h.kernel, h.cpu_model);
  }
  return kExitSuccess;
}

Runner AddHosts(CLI::App& app) {
  auto opts = std::make_shared<HostsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "hosts", "List the machines that stored runs: CPU, kernel, run count and last run");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  AddDbFlag(cmd, &opts->db);
  return [opts] { return RunHosts(*opts); };
}

}  // namespace perfkit::cli
