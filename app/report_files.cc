#include "app/report_files.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <vector>

#include "app/files.h"
#include "app/run_record.h"
#include "subsystems/base/self_path.h"

namespace perfkit::app {
namespace {

namespace fs = std::filesystem;

// $PERFKIT_PLOTS_DIR, else an installed perfkit's, else the checkout's.
std::string PlotsDir() {
  const char* env = std::getenv("PERFKIT_PLOTS_DIR");
  if (env != nullptr && *env) return env;
  if (std::string installed = InstalledData("plots"); !installed.empty()) return installed;
  return PERFKIT_PLOTS_DIR;
}

std::string Python() {
  const char* env = std::getenv("PERFKIT_PYTHON");
  return env && *env ? env : "/usr/bin/python3";
}

// Runs a program quietly; on failure, *err is the last line it wrote on
// stderr (Python's exception) or how it ended.
bool RunQuiet(Launcher& launcher, const std::vector<std::string>& argv, std::string* err) {
  SpawnOptions spawn;
  spawn.argv = argv;
  spawn.out = Redirect::kNull;
  spawn.err = Redirect::kCapture;
  auto exit = RunProcess(launcher, spawn, 300);
  if (!exit.ok()) {
    *err = exit.error();
    return false;
  }
  if (exit->Success()) return true;
  std::string text = exit->err;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  *err = text.empty() ? "python3 " + exit->Describe() : text.substr(text.rfind('\n') + 1);
  return false;
}

}  // namespace

Status RunPlotScript(Launcher& launcher, const std::string& script,
                     const std::vector<std::string>& args) {
  std::string err;
  if (!fs::exists(Python()) || !RunQuiet(launcher, {Python(), "-c", "import matplotlib"}, &err)) {
    return Status::Error(Python() +
                         " with matplotlib is needed (apt-get install python3-matplotlib)");
  }
  std::vector<std::string> argv = {Python(), PlotsDir() + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!RunQuiet(launcher, argv, &err)) return Status::Error(script + ": " + err);
  return OkStatus();
}

namespace {

// Runs the plot jobs; returns the ones that produced a PNG and, in *note,
// what the reader should know about the others.
std::vector<report::PlotJob> MakePlots(const report::ReportPlan& plan, const fs::path& staging,
                                       Launcher& launcher, std::string* note) {
  std::string err;
  if (!fs::exists(Python()) || !RunQuiet(launcher, {Python(), "-c", "import matplotlib"}, &err)) {
    *note = "Plots skipped: " + Python() +
            " with matplotlib is needed (apt-get install python3-matplotlib).";
    return {};
  }
  std::vector<report::PlotJob> made;
  std::vector<std::string> failed;
  for (const auto& job : plan.plots) {
    std::vector<std::string> argv = {Python(), PlotsDir() + "/" + job.script};
    for (const auto& a : job.args) argv.push_back(plan.files.count(a) ? (staging / a).string() : a);
    argv.push_back((staging / job.output).string());
    if (RunQuiet(launcher, argv, &err) && fs::exists(staging / job.output) &&
        fs::file_size(staging / job.output) > 0) {
      made.push_back(job);
    } else {
      failed.push_back(job.output + " (" + err + ")");
    }
  }
  if (!failed.empty()) {
    *note = "Some plots could not be made: ";
    for (size_t i = 0; i < failed.size(); ++i) *note += (i ? "; " : "") + failed[i];
  }
  return made;
}

// perfkit's mark on a directory it wrote: the list of the files it put
// there. Only a directory with the mark, holding nothing but what the mark
// lists, is ever replaced; a user's files never count as a report's.
constexpr char kManifest[] = ".perfkit-report";
constexpr char kManifestHeader[] = "perfkit report directory; files:";

std::string ManifestText(const fs::path& dir) {
  std::error_code ec;
  std::string text = std::string(kManifestHeader) + "\n";
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename() != kManifest) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) text += n + "\n";
  return text;
}

// The files the mark in `dir` lists, or nullopt when there is no mark.
std::optional<std::set<std::string>> ReadManifest(const fs::path& dir) {
  auto text = ReadFile((dir / kManifest).string());
  if (!text.ok() || text->rfind(kManifestHeader, 0) != 0) return std::nullopt;
  std::set<std::string> names;
  for (size_t from = text->find('\n'); from != std::string::npos && from + 1 < text->size();) {
    const size_t end = text->find('\n', from + 1);
    names.insert(text->substr(from + 1, end - from - 1));
    from = end;
  }
  return names;
}

// What is already in out_dir must be a report perfkit wrote: the whole
// directory is replaced, and nothing else may be lost with it.
Status CheckOutputDir(const fs::path& out_dir) {
  std::error_code ec;
  if (!fs::exists(out_dir, ec)) return OkStatus();
  if (!fs::is_directory(out_dir, ec)) {
    return Status::Error("'" + out_dir.string() + "' is not a directory");
  }
  const auto listed = ReadManifest(out_dir);
  for (const auto& entry : fs::directory_iterator(out_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == kManifest && listed) continue;
    if (!listed) {
      return Status::Error("'" + out_dir.string() + "' holds " + name +
                           " and is not a report perfkit wrote (no " + kManifest +
                           "); give a new or empty directory (a report replaces its directory)");
    }
    if (!entry.is_regular_file() || listed->count(name) == 0) {
      return Status::Error("'" + out_dir.string() + "' holds " + name +
                           ", which is not part of the perfkit report there; move it or give "
                           "another directory (a report replaces its directory)");
    }
  }
  return OkStatus();
}

std::string StagingPrefix(const fs::path& out_dir) {
  return "." + out_dir.filename().string() + ".staging-";
}

// Staging directories whose report process is gone (killed mid-report).
void RemoveAbandonedStaging(const fs::path& out_dir) {
  std::error_code ec;
  const fs::path parent = out_dir.parent_path();
  const std::string prefix = StagingPrefix(out_dir);
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH &&
        ReadManifest(entry.path())) {
      fs::remove_all(entry.path(), ec);
    }
  }
}

}  // namespace

Status PublishDirectory(const std::string& staging, const std::string& out_dir) {
  if (!fs::exists(out_dir)) {
    if (rename(staging.c_str(), out_dir.c_str()) == 0) return OkStatus();
    return Status::Error("cannot write '" + out_dir + "': " + std::strerror(errno));
  }
  if (syscall(SYS_renameat2, AT_FDCWD, staging.c_str(), AT_FDCWD, out_dir.c_str(),
              RENAME_EXCHANGE) == 0) {
    return OkStatus();
  }
  if (errno != EINVAL && errno != ENOSYS) {
    return Status::Error("cannot replace '" + out_dir + "': " + std::strerror(errno));
  }
  // A file system without RENAME_EXCHANGE: two renames, and back on failure.
  const std::string old = staging + ".old";
  if (rename(out_dir.c_str(), old.c_str()) != 0) {
    return Status::Error("cannot replace '" + out_dir + "': " + std::strerror(errno));
  }
  if (rename(staging.c_str(), out_dir.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    rename(old.c_str(), out_dir.c_str());
    return Status::Error("cannot replace '" + out_dir + "': " + why);
  }
  // Left where it is on failure, the old report is removed as abandoned
  // staging by the next report.
  rename(old.c_str(), staging.c_str());
  return OkStatus();
}

Status WriteReportFiles(const report::ReportInput& in, const std::string& out_dir,
                        Launcher& launcher, std::string* note, Publisher publish) {
  std::error_code ec;
  fs::path dir = fs::absolute(out_dir, ec).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  if (dir == dir.root_path() || dir == fs::current_path(ec)) {
    return Status::InvalidArgument("-o '" + out_dir +
                                   "': give a directory for the report, not the current or root "
                                   "directory (the report replaces its contents)");
  }
  if (Status s = CheckOutputDir(dir); !s.ok()) return s;
  RemoveAbandonedStaging(dir);
  const fs::path staging = dir.parent_path() / (StagingPrefix(dir) + std::to_string(getpid()) +
                                                "-" + NewUuid().substr(0, 8));
  fs::create_directories(staging, ec);
  if (ec) return Status::Error("cannot write beside '" + out_dir + "': " + ec.message());
  // Marked first, so a report killed midway leaves staging the next one
  // knows to be perfkit's.
  Status written = WriteFileAtomically((staging / kManifest).string(), ManifestText(staging));
  const report::ReportPlan plan = report::PlanReport(in);
  for (const auto& [name, content] : plan.files) {
    if (written.ok()) written = WriteFileAtomically((staging / name).string(), content);
  }
  if (written.ok()) {
    const auto made = MakePlots(plan, staging, launcher, note);
    written = WriteFileAtomically((staging / "report.md").string(),
                                  report::RenderMarkdown(in, made, *note));
  }
  if (written.ok()) {
    written = WriteFileAtomically((staging / kManifest).string(), ManifestText(staging));
  }
  if (written.ok()) written = publish(staging.string(), dir.string());
  fs::remove_all(staging, ec);  // the old report after a swap, or the unused new one
  return written;
}

}  // namespace perfkit::app
