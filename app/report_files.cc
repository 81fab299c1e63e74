#include "app/report_files.h"

#include <cstdlib>
#include <filesystem>

#include "app/files.h"
#include "app/run_record.h"

namespace perfkit::app {
namespace {

namespace fs = std::filesystem;

std::string PlotsDir() {
  const char* env = std::getenv("PERFKIT_PLOTS_DIR");
  return env && *env ? env : PERFKIT_PLOTS_DIR;
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

// Moves the staged files into the output directory, report.md last.
Status Publish(const fs::path& staging, const fs::path& out_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(staging)) {
    if (entry.path().filename() == "report.md") continue;
    fs::rename(entry.path(), out_dir / entry.path().filename(), ec);
    if (ec) {
      return Status::Error("cannot write " + (out_dir / entry.path().filename()).string() + ": " +
                           ec.message());
    }
  }
  fs::rename(staging / "report.md", out_dir / "report.md", ec);
  if (ec) {
    return Status::Error("cannot write " + (out_dir / "report.md").string() + ": " + ec.message());
  }
  fs::remove_all(staging, ec);
  return OkStatus();
}

}  // namespace

Status WriteReportFiles(const report::ReportInput& in, const std::string& out_dir,
                        Launcher& launcher, std::string* note) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::Error("cannot create '" + out_dir + "': " + ec.message());
  const fs::path staging = fs::path(out_dir) / (".staging-" + NewUuid().substr(0, 8));
  fs::create_directories(staging, ec);
  if (ec) return Status::Error("cannot write in '" + out_dir + "': " + ec.message());
  const report::ReportPlan plan = report::PlanReport(in);
  Status written;
  for (const auto& [name, content] : plan.files) {
    if (written.ok()) written = WriteFileAtomically((staging / name).string(), content);
  }
  if (written.ok()) {
    const auto made = MakePlots(plan, staging, launcher, note);
    written = WriteFileAtomically((staging / "report.md").string(),
                                  report::RenderMarkdown(in, made, *note));
  }
  if (written.ok()) written = Publish(staging, out_dir);
  if (!written.ok()) fs::remove_all(staging, ec);
  return written;
}

}  // namespace perfkit::app
