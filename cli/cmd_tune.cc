// `perfkit tune [--quick] [--show] [--reset] [--db D]`: measure and store this
// host's engine per size band and streaming thresholds, show or forget them.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "app/database.h"
#include "app/tune.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

struct TuneOptions {
  std::string db;
  bool quick = false;
  bool show = false;
  bool reset = false;
};

namespace {

std::string StreamFrom(uint64_t bytes) {
  return bytes == kNeverStream ? "never stream (streaming did not win at the largest size)"
                               : "stream from " + FormatBytes(static_cast<int64_t>(bytes));
}

// "rep movsb from 64 KiB", for `rep movsb` or `rep stosb`.
std::string FastStringsFrom(const std::string& insn, const std::optional<uint64_t>& bytes) {
  if (!bytes) return insn + ": not measured (an older tuning): the CPU's rule stands";
  return *bytes == kNeverStream ? insn + " never (it did not win up to the largest size)"
                                : insn + " from " + FormatBytes(static_cast<int64_t>(*bytes));
}

void PrintTuning(const Tuning& t, const std::string& db) {
  fmt::print("{:<8} {}\n", "crc32", DescribeBands(t.crc32));
  fmt::print("{:<8} {}\n", "crc32c", DescribeBands(t.crc32c));
  fmt::print("{:<8} {}; {}\n", "copies", FastStringsFrom("rep movsb", t.copy_rep_movsb_from),
             StreamFrom(t.copy_stream_from));
  fmt::print("{:<8} {}; {}\n", "sets", FastStringsFrom("rep stosb", t.set_rep_stosb_from),
             StreamFrom(t.set_stream_from));
  fmt::print("measured {} by run {} in {} (host {})\n", t.created_at, t.run_id, db,
             t.host_fingerprint);
}

int RunTune(const TuneOptions& o) {
  const store::StoreLocation db = app::ResolveStore(o.db);
  if (o.show) {
    auto stored = app::StoredTuning(db);
    if (!stored.ok()) return Fail(stored.status());
    if (!stored->has_value()) {
      fmt::print(
          "no tuning for this host in {}: dispatch uses the defaults (perfkit tune "
          "measures one)\n",
          db.shown());
      return kExitSuccess;
    }
    PrintTuning(**stored, db.shown());
    return kExitSuccess;
  }
  if (o.reset) {
    auto removed = app::ResetTuning(db);
    if (!removed.ok()) return Fail(removed.status());
    fmt::print("{}\n", *removed ? "this host's tuning is forgotten: dispatch uses the defaults"
                                : "there was no tuning for this host in " + db.shown());
    return kExitSuccess;
  }
  const bool tty = isatty(STDERR_FILENO) != 0;
  auto tuned = app::Tune({db, o.quick}, [tty](const std::string& line) {
    if (tty) fmt::print(stderr, "\r\033[Ktune: {}", line);
  });
  if (tty) fmt::print(stderr, "\r\033[K");
  if (!tuned.ok()) return Fail(tuned.status());
  PrintTuning(tuned->tuning, db.shown());
  for (const std::string& note : tuned->notes) fmt::print("{}\n", note);
  fmt::print("bench, list and sysinfo on this host follow it; perfkit tune --reset forgets it\n");
  return kExitSuccess;
}

}  // namespace

Runner AddTune(CLI::App& app) {
  auto opts = std::make_shared<TuneOptions>();
  CLI::App* cmd = app.add_subcommand("tune",
                                     "Measure this host's fastest CRC engine per size, where "
                                     "copies win with rep movsb and where streaming stores win");
  AddDbFlag(cmd, &opts->db);
  cmd->add_flag("--quick", opts->quick, "Fewer rounds (under 30 s)");
  auto* show = cmd->add_flag("--show", opts->show, "Show this host's stored tuning");
  auto* reset = cmd->add_flag("--reset", opts->reset, "Forget this host's tuning");
  show->excludes(reset);
  cmd->get_option("--quick")->excludes(show)->excludes(reset);
  return [opts] { return RunTune(*opts); };
}

}  // namespace perfkit::cli
