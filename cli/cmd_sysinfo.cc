// `perfkit sysinfo [--json]`: the machine and build context runs are judged in.
#include "cli/cmd_sysinfo.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>

#include "app/database.h"
#include "app/inventory.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

namespace {

std::string Caches(const HostContext& h) {
  std::string out;
  for (const auto& [level, bytes] : h.cache_bytes) {
    out += (out.empty() ? "" : ", ") + level + " " + FormatBytes(bytes);
  }
  if (out.empty()) return "unavailable (neither CPUID nor /sys describes them)";
  if (h.cache_line_bytes > 0) out += fmt::format("; {} B lines", h.cache_line_bytes);
  return out + " (from " + h.cache_source + ")";
}

std::string HugePages(const HostContext& h) {
  std::string out;
  for (const std::string& size : h.huge_page_sizes) {
    const auto reserved = h.huge_pages_reserved.find(size);
    const auto free = h.huge_pages_free.find(size);
    out += (out.empty() ? "" : ", ") + size;
    if (reserved != h.huge_pages_reserved.end() && free != h.huge_pages_free.end()) {
      out += fmt::format(" ({} reserved, {} free)", reserved->second, free->second);
    }
  }
  return out.empty() ? "unavailable" : out;
}

std::string Pause(const HostContext& h) {
  if (h.pause_ns <= 0) return "unavailable (not x86-64)";
  return fmt::format("{:.1f} ns ({:.0f} TSC cycles)", h.pause_ns, h.pause_cycles);
}

std::string OrUnavailable(const std::string& s) { return s.empty() ? "unavailable" : s; }

std::string TuningRow(const app::Applied& t) {
  if (t.tuning) {
    return fmt::format("crc32, crc32c{}{} and streaming from perfkit tune (run {}, {})",
                       t.tuning->copy_rep_movsb_from ? ", rep movsb" : "",
                       t.tuning->set_rep_stosb_from ? ", rep stosb" : "", t.tuning->run_id,
                       t.tuning->created_at);
  }
  return "none: the defaults" +
         (t.warning.empty() ? std::string(" (perfkit tune measures one)") : " (" + t.warning + ")");
}

}  // namespace

int RunSysinfo(const SysinfoOptions& options) {
  auto read = app::ReadSysinfo(options.machine, app::ResolveStore(options.db));
  if (!read.ok()) return Fail(read.status());
  const app::Sysinfo& info = *read;
  const HostContext& h = info.host;
  if (options.json) {
    fmt::print("{}\n", app::SysinfoJson(info));
    return kExitSuccess;
  }
  const auto row = [](const char* key, const std::string& value) {
    fmt::print("{:<22} {}\n", key, value);
  };
  if (info.replayed) row("replayed from", options.machine);
  row("cpu", fmt::format("{} (vendor {}, family {}, model {}, stepping {})", h.cpu_model,
                         h.cpu_vendor, h.cpu_family, h.cpu_model_number, h.cpu_stepping));
  row("features", fmt::format("{}", fmt::join(h.cpu_features, " ")));
  row("cpus", fmt::format("{} logical, {} physical cores, SMT {}", h.logical_cpus, h.physical_cores,
                          h.smt ? "on" : "off"));
  row("caches", Caches(h));
  if (!h.cache_note.empty()) row("caches disagree", h.cache_note);
  row("tlbs", h.tlbs.empty() ? "unavailable" : fmt::format("{}", fmt::join(h.tlbs, "; ")));
  row("pause", info.replayed ? "not measured (a replayed machine)" : Pause(h));
  for (const suites::EngineChoice& c : info.engines) {
    row((c.what + " engine").c_str(), c.engine + " (" + c.by_size + ")");
  }
  if (!info.replayed) row("tuning", TuningRow(info.tuning));
  row("numa nodes", std::to_string(h.numa_nodes));
  row("huge pages", HugePages(h));
  row("transparent hugepages", h.thp_mode);
  row("kernel", h.kernel);
  row("hypervisor", h.hypervisor.empty() ? "none detected" : h.hypervisor);
  row("governor", h.governor);
  row("boost", h.boost);
  row("aslr", h.aslr);
  row("perf_event_paranoid", std::to_string(h.perf_event_paranoid));
  row("hardware pmu", fmt::format("{} ({})", h.hardware_pmu ? "yes" : "no", h.pmu_detail));
  row("load average (1 min)", fmt::format("{:.2f}", h.load_average_1m));
  row("compiler", h.compiler);
  row("build type", h.build_type);
  row("build flags", OrUnavailable(h.build_flags));
  row("google benchmark",
      fmt::format("{} ({} build{})", OrUnavailable(h.benchmark_version), h.benchmark_build_type,
                  h.benchmark_build_type == "debug"
                      ? "; Debian ships it so: its own timing loop has "
                        "assertions on, our benchmark code does not"
                      : ""));
  row("fingerprint", h.fingerprint);
  return kExitSuccess;
}

Runner AddSysinfo(CLI::App& app) {
  auto opts = std::make_shared<SysinfoOptions>();
  CLI::App* cmd = app.add_subcommand("sysinfo", "Show the machine and build context of runs");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->add_option("--machine", opts->machine,
                  "What perfkit would conclude on another machine: a snapshot directory "
                  "(cpuid-raw.txt from `cpuid -r -1`, sys-cpu0-cache.txt, cpuinfo-cpu0.txt)");
  AddDbFlag(cmd, &opts->db)->description("Where this host's tuning is read (perfkit tune)");
  return [opts] { return RunSysinfo(*opts); };
}

}  // namespace perfkit::cli
