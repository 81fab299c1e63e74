// Builds the CLI from the command table, parses, runs the chosen subcommand,
// and turns every escaping exception into one line and an exit code.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "app/exit_status.h"
#include "app/run_record.h"
#include "build_info.h"
#include "cli/command.h"
#include "git_commit.h"

namespace perfkit::cli {

Runner AddBaseline(CLI::App& app);
Runner AddBench(CLI::App& app);
Runner AddCalibrate(CLI::App& app);
Runner AddCompare(CLI::App& app);
Runner AddAb(CLI::App& app);
Runner AddSelftestStats(CLI::App& app);
Runner AddReport(CLI::App& app);
Runner AddChecksum(CLI::App& app);
Runner AddJit(CLI::App& app);
Runner AddProfile(CLI::App& app);
Runner AddExport(CLI::App& app);
Runner AddImport(CLI::App& app);
Runner AddList(CLI::App& app);
Runner AddRings(CLI::App& app);
Runner AddRuns(CLI::App& app);
Runner AddSysinfo(CLI::App& app);
Runner AddVirtio(CLI::App& app);
Runner AddPower(CLI::App& app);

const std::vector<CommandEntry>& Commands() {
  static const std::vector<CommandEntry> commands = {
      {"bench", &AddBench},
      {"compare", &AddCompare},
      {"baseline", &AddBaseline},
      {"calibrate", &AddCalibrate},
      {"ab", &AddAb},
      {"report", &AddReport},
      {"list", &AddList},
      {"sysinfo", &AddSysinfo},
      {"runs", &AddRuns},
      {"export", &AddExport},
      {"import", &AddImport},
      {"checksum", &AddChecksum},
      {"selftest-stats", &AddSelftestStats},
      {"jit", &AddJit},
      {"rings", &AddRings},
      {"virtio", &AddVirtio},
      {"power", &AddPower},
      {"profile", &AddProfile},
  };
  return commands;
}

int PerfkitMain(const std::vector<std::string>& args) {
  app::SetInvocation(args);
  CLI::App root("perfkit: benchmarks, comparisons and profiles with honest statistics.\n" +
                    std::string(app::kExitStatusHelp),
                "perfkit");
  root.set_version_flag("--version", std::string("perfkit ") + PERFKIT_VERSION +
                                         (std::string(PERFKIT_GIT_COMMIT).empty()
                                              ? ""
                                              : std::string(" (") + PERFKIT_GIT_COMMIT + ")"));
  root.require_subcommand(1);
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const CommandEntry& c : Commands()) {
    Runner run = c.add(root);
    runners.emplace_back(root.get_subcommand(c.name), std::move(run));
  }
  std::vector<char*> argv;
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  try {
    root.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return root.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "perfkit: %s (see 'perfkit --help')\n", e.what());
    return app::kExitUsage;
  }
  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "perfkit: %s\n", e.what());
    return app::kExitFailure;
  }
  return app::kExitUsage;
}

}  // namespace perfkit::cli
