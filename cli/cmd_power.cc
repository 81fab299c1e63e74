// `perfkit power`: where energy comes from here, a model fitted against it
// (calibrate) or imported, power history, and a command under a budget.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <ctime>

#include "app/database.h"
#include "app/interrupt.h"
#include "app/power.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {
namespace {

struct PowerOptions {
  std::string action, db, reference, file, plot, last = "1h", interval = "100ms", duration;
  bool json = false, quick = false, no_cgroup = false;
  double budget_w = 0;
  std::vector<std::string> command;
  store::StoreLocation store;  // --db resolved
};

std::string Profile(const store::PowerProfile& p) {
  return fmt::format("P = {:.2f} W + {:.2f} W x u + {:.3f} W per GB/s ({}, {}, {})", p.p_idle_w,
                     p.c_cpu_w_per_util, p.c_mem_w_per_gbps,
                     p.validated ? "validated" : "not validated", p.source, p.created_at);
}

std::string LocalTime(double unix_seconds) {
  const std::time_t s = static_cast<std::time_t>(unix_seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&s));
  return buf;
}

int ShowStatus(const PowerOptions& o) {
  auto s = app::ReadPowerStatus(o.store);
  if (!s.ok()) return Fail(s.status());
  if (o.json) {
    fmt::print("{}\n", app::PowerStatusJson(*s));
    return kExitSuccess;
  }
  fmt::print("source     {}\n", s->source);
  fmt::print("profile    {}\n", s->profile ? Profile(*s->profile)
                                           : "none (perfkit power calibrate, or power profile "
                                             "import FILE)");
  fmt::print("u          {:.3f} (all CPUs, /proc/stat)\n", s->u);
  fmt::print("bandwidth  {}\n", s->bw_gbps
                                    ? fmt::format("{:.2f} GB/s ({})", *s->bw_gbps, s->bw_source)
                                    : "unknown: " + s->bw_source);
  if (s->measured_w) fmt::print("measured   {:.1f} W\n", *s->measured_w);
  if (s->estimated_w) {
    fmt::print("estimated  {:.1f} W ({}{})\n", *s->estimated_w,
               s->profile->validated ? "validated" : "not validated: no accuracy claimed",
               s->bw_gbps ? "" : "; memory term left out");
  }
  return kExitSuccess;
}

int Calibrate(const PowerOptions& o) {
  app::PowerCalibrateRequest r;
  r.db = o.store;
  r.quick = o.quick;
  r.reference = o.reference;
  r.progress = [](const std::string& line) { fmt::print(stderr, "perfkit: {}\n", line); };
  r.interrupted = &app::Interrupted;
  auto c = [&] {
    app::InterruptScope scope;
    return app::CalibratePower(r);
  }();
  if (!c.ok()) return Fail(c.status());
  if (o.json) {
    fmt::print("{}\n", c->json);
    return kExitSuccess;
  }
  const power::Calibration& k = c->calibration;
  fmt::print("{:<32} {:>6} {:>8} {:>9} {:>9}\n", "load", "u", "GB/s", "watts", "model");
  for (auto* list : {&k.ladder, &k.held_out}) {
    if (list == &k.held_out) fmt::print("held out (not fitted):\n");
    for (const power::Observation& x : *list) {
      fmt::print("{:<32} {:>6.3f} {:>8.2f} {:>9.2f} {:>9.2f}\n", x.load, x.u, x.bw_gbps, x.Watts(),
                 k.model.Watts(x.u, x.bw_gbps));
    }
  }
  fmt::print(
      "\nP = {:.2f} W + {:.2f} W x u + {:.3f} W per GB/s (source: {})\n"
      "held out: power MAPE {:.1f}%, bias {:+.1f}%, worst {:.1f}%; energy MAPE {:.1f}%, worst "
      "{:.1f}% -> {}\n",
      k.model.p_idle_w, k.model.c_cpu_w_per_util, k.model.c_mem_w_per_gbps, c->source,
      k.validation.mape_pct, k.validation.bias_pct, k.validation.max_err_pct,
      k.validation.energy_mape_pct, k.validation.energy_max_err_pct,
      k.validated ? fmt::format("validated (MAPE <= {:.0f}%)", power::kValidatedMapePct)
                  : fmt::format("NOT validated (MAPE > {:.0f}%)", power::kValidatedMapePct));
  fmt::print(stderr, "perfkit: stored the profile for this host in {}\n", o.store.shown());
  return kExitSuccess;
}

int Import(const PowerOptions& o) {
  auto p = app::ImportPowerProfile(o.store, o.file);
  if (!p.ok()) return Fail(p.status());
  fmt::print("imported: {}\n", Profile(*p));
  return kExitSuccess;
}

int Show(const PowerOptions& o) {
  auto p = app::LoadHostPowerProfile(o.store);
  if (!p.ok()) return Fail(p.status());
  if (!*p) return Fail(kExitFailure, "no power profile for this host in " + o.store.shown());
  fmt::print("{}\n", o.json ? (*p)->provenance_json : Profile(**p));
  return kExitSuccess;
}

int Record(const PowerOptions& o) {
  app::RecordRequest r;
  r.db = o.store;
  auto interval = app::ParseDuration(o.interval);
  if (!interval.ok()) return Fail(interval.status().WithPrefix("--interval: "));
  r.interval_s = *interval;
  if (r.interval_s < 0.01) return Fail(kExitUsage, "--interval must be at least 10ms");
  if (!o.duration.empty()) {
    auto d = app::ParseDuration(o.duration);
    if (!d.ok()) return Fail(d.status().WithPrefix("--duration: "));
    r.duration_s = *d;
  }
  r.interrupted = &app::Interrupted;
  auto out = [&] {
    app::InterruptScope scope;
    return app::RecordPower(r);
  }();
  if (!out.ok()) return Fail(out.status());
  fmt::print("recorded {} {} samples over {:.1f} s; recording used {:.2f}% of one CPU\n",
             out->samples, out->measured ? "measured" : "estimated", out->seconds,
             out->seconds > 0 ? out->cpu_seconds / out->seconds * 100 : 0);
  return kExitSuccess;
}

int History(const PowerOptions& o) {
  auto last = app::ParseDuration(o.last);
  if (!last.ok()) return Fail(last.status().WithPrefix("--last: "));
  auto h = app::PowerHistory({o.store, *last, o.plot});
  if (!h.ok()) return Fail(h.status());
  if (h->samples.empty()) {
    fmt::print("no power samples in the last {}\n", o.last);
  } else {
    // One row per origin: how many samples, when, and their power.
    std::map<std::string, std::vector<const store::PowerSampleRow*>> by;
    for (const auto& s : h->samples) {
      by[s.origin + (s.measured ? " (measured)" : " (estimated)")].push_back(&s);
    }
    fmt::print("{:<26} {:>7} {:<20} {:<20} {:>8} {:>8}\n", "origin", "samples", "from", "to",
               "mean W", "peak W");
    for (const auto& [origin, rows] : by) {
      double sum = 0, peak = 0;
      for (const auto* r : rows) {
        sum += r->watts;
        peak = std::max(peak, r->watts);
      }
      fmt::print("{:<26} {:>7} {:<20} {:<20} {:>8.1f} {:>8.1f}\n", origin, rows.size(),
                 LocalTime(rows.front()->unix_time), LocalTime(rows.back()->unix_time),
                 sum / rows.size(), peak);
    }
  }
  if (!o.plot.empty()) {
    if (!h->plot_note.empty()) return Fail(kExitFailure, h->plot_note);
    fmt::print(stderr, "perfkit: wrote {}\n", o.plot);
  }
  return kExitSuccess;
}

int Run(const PowerOptions& o) {
  if (o.command.empty()) return Fail(kExitUsage, "power run needs a command after --");
  app::BudgetRequest r{o.store, o.budget_w, o.command, !o.no_cgroup, &app::Interrupted};
  auto out = [&] {
    app::InterruptScope scope;
    return app::RunUnderBudget(r);
  }();
  if (!out.ok()) return Fail(out.status());
  const power::BudgetRun& a = out->free;
  const power::BudgetRun& b = out->limited;
  fmt::print("power: {}\n", out->power_source);
  fmt::print("{:<14} {:>9} {:>10} {:>8} {:>8} {:>12}  {}\n", "run", "seconds", "joules", "mean W",
             "peak W", "over budget", "throttled by");
  for (const auto* x : {&a, &b}) {
    fmt::print("{:<14} {:>9.2f} {:>10.1f} {:>8.1f} {:>8.1f} {:>5}/{:<6}  {}\n",
               x == &a ? "unconstrained" : fmt::format("{:.0f} W budget", o.budget_w), x->seconds,
               x->joules, x->mean_w, x->peak_w, x->samples_over, x->samples.size(), x->method);
  }
  if (!b.cgroup_unavailable.empty()) {
    fmt::print("cgroup cpu.max not used: {}\n", b.cgroup_unavailable);
  }
  const double in_budget =
      b.samples.empty() ? 0 : 100.0 * (b.samples.size() - b.samples_over) / b.samples.size();
  const double time = a.seconds > 0 ? (b.seconds / a.seconds - 1) * 100 : 0;
  const double energy = a.joules > 0 ? (b.joules / a.joules - 1) * 100 : 0;
  fmt::print(
      "the budget held in {:.1f}% of the {} samples; it cost {:+.0f}% time and {:+.0f}% energy{}\n",
      in_budget, b.samples.size(), time, energy,
      energy > 1    ? fmt::format(" (race to idle: the {:.1f} W idle power is paid for longer)",
                                  out->model.p_idle_w)
      : energy < -1 ? " (less energy: the power saved outweighs the idle power paid for longer)"
                    : "");
  if (!a.exit.Success() || !b.exit.Success()) {
    fmt::print(stderr, "perfkit: the command {}\n", (!b.exit.Success() ? b : a).exit.Describe());
    return kExitFailure;
  }
  return kExitSuccess;
}

}  // namespace

Runner AddPower(CLI::App& app) {
  auto opts = std::make_shared<PowerOptions>();
  CLI::App* cmd = app.add_subcommand("power", "Energy sources, the power model and budgets");
  cmd->require_subcommand(1);
  CLI::App* status = cmd->add_subcommand("status", "The energy source, the model, u, bw, watts");
  status->add_flag("--json", opts->json, "As JSON");
  CLI::App* calibrate = cmd->add_subcommand(
      "calibrate", "Fit P = P_idle + C_cpu*u + C_mem*bw to known loads; validate on others");
  calibrate->add_flag("--quick", opts->quick, "6 loads and 2 held out, about 45 s");
  calibrate->add_option("--reference", opts->reference,
                        "An external meter's log, CSV of timestamp,watts (read after the loads)");
  calibrate->add_flag("--json", opts->json, "Print the result as JSON");
  CLI::App* profile = cmd->add_subcommand("profile", "The host's power profile");
  profile->require_subcommand(1);
  CLI::App* import = profile->add_subcommand("import", "Use a profile from a JSON file");
  import->add_option("file", opts->file, "JSON as `power calibrate --json` prints")->required();
  CLI::App* show = profile->add_subcommand("show", "The profile in use");
  show->add_flag("--json", opts->json, "Its provenance as JSON");
  CLI::App* record = cmd->add_subcommand("record", "Sample power into the history");
  record->add_option("--interval", opts->interval, "Between samples (default 100ms)");
  record->add_option("--duration", opts->duration, "How long (default: until Ctrl-C)");
  CLI::App* history = cmd->add_subcommand("history", "Power samples over time");
  history->add_option("--last", opts->last, "How far back (default 1h)");
  history->add_option("-o,--output", opts->plot, "Plot them into this PNG (matplotlib)");
  CLI::App* run = cmd->add_subcommand("run", "Run a command under a power budget");
  run->add_option("--budget", opts->budget_w, "Watts")->required()->check(FiniteRange(0.001, 1e6));
  run->add_flag("--no-cgroup", opts->no_cgroup, "Throttle by SIGSTOP/SIGCONT, not cgroup cpu.max");
  run->add_option("command", opts->command, "The command, after --");
  for (CLI::App* sub : {status, calibrate, import, show, record, history, run}) {
    AddDbFlag(sub, &opts->db);
  }
  return [opts, cmd] {
    PowerOptions o = *opts;
    o.store = app::ResolveStore(o.db);
    CLI::App* sub = cmd->get_subcommands().front();
    o.action = sub->get_name();
    if (o.action == "profile") o.action += " " + sub->get_subcommands().front()->get_name();
    if (o.action == "status") return ShowStatus(o);
    if (o.action == "calibrate") return Calibrate(o);
    if (o.action == "profile import") return Import(o);
    if (o.action == "profile show") return Show(o);
    if (o.action == "record") return Record(o);
    if (o.action == "history") return History(o);
    return Run(o);
  };
}

}  // namespace perfkit::cli
