// Builds the CLI from the command table, parses, runs the chosen subcommand,
// and turns every escaping exception into one line and an exit code.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <memory>

#include "app/database.h"
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
Runner AddHosts(CLI::App& app);
Runner AddSync(CLI::App& app);
Runner AddSysinfo(CLI::App& app);
Runner AddTune(CLI::App& app);
Runner AddVirtio(CLI::App& app);
Runner AddPower(CLI::App& app);
Runner AddCompletion(CLI::App& app);
Runner AddCompleteWords(CLI::App& app);
Runner AddMan(CLI::App& app);

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
      {"tune", &AddTune},
      {"runs", &AddRuns},
      {"hosts", &AddHosts},
      {"sync", &AddSync},
      {"export", &AddExport},
      {"import", &AddImport},
      {"checksum", &AddChecksum},
      {"selftest-stats", &AddSelftestStats},
      {"jit", &AddJit},
      {"rings", &AddRings},
      {"virtio", &AddVirtio},
      {"power", &AddPower},
      {"profile", &AddProfile},
      {"completion", &AddCompletion},
      {"__complete", &AddCompleteWords},
      {"__man", &AddMan},
  };
  return commands;
}

namespace {
std::string VersionText() {
  return std::string("perfkit ") + PERFKIT_VERSION +
         (std::string(PERFKIT_GIT_COMMIT).empty() ? ""
                                                  : std::string(" (") + PERFKIT_GIT_COMMIT + ")");
}
}  // namespace

std::unique_ptr<CLI::App> NewRoot() {
  auto root = std::make_unique<CLI::App>(
      "perfkit: benchmarks, comparisons and profiles with honest statistics.\n" +
          std::string(app::kExitStatusHelp),
      "perfkit");
  root->set_version_flag("--version", VersionText());
  root->require_subcommand(1);
  return root;
}

std::unique_ptr<CLI::App> FullCli() {
  std::unique_ptr<CLI::App> root = NewRoot();
  for (const CommandEntry& c : Commands()) c.add(*root);
  return root;
}

namespace {

// Building every subcommand's options was most of what `perfkit --version`
// cost (about a millisecond of CLI11 work), yet a command line names at most
// one subcommand: only help and errors at the top level need them all. The
// root takes no option with a value, so the first word that is not an option
// names the subcommand.
std::vector<const CommandEntry*> CommandsToBuild(const std::vector<std::string>& args) {
  std::vector<const CommandEntry*> all;
  for (const CommandEntry& c : Commands()) all.push_back(&c);
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].empty() || args[i][0] == '-') continue;
    for (const CommandEntry* c : all) {
      if (args[i] == c->name) return {c};
    }
    break;
  }
  return all;
}

}  // namespace

int PerfkitMain(const std::vector<std::string>& args) {
  // `perfkit --version` alone, the usual measure of a tool's start-up,
  // prints what CLI11's flag would without building the parser or throwing
  // (its exception): 2.18-2.19x -> 2.06-2.07x /bin/true's CPU time on a
  // 2-vCPU Xeon VM, where a C++ program that only prints is 1.7-2.1x.
  if (args.size() == 2 && args[1] == "--version") {
    std::printf("%s\n", VersionText().c_str());
    return app::kExitSuccess;
  }
  app::SetInvocation(args);
  std::unique_ptr<CLI::App> owner = NewRoot();
  CLI::App& root = *owner;
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const CommandEntry* c : CommandsToBuild(args)) {
    Runner run = c->add(root);
    runners.emplace_back(root.get_subcommand(c->name), std::move(run));
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
    std::fprintf(stderr, "perfkit: %s (see 'perfkit --help')\n", app::Redacted(e.what()).c_str());
    return app::kExitUsage;
  }
  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "perfkit: %s\n", app::Redacted(e.what()).c_str());
    return app::kExitFailure;
  }
  return app::kExitUsage;
}

}  // namespace perfkit::cli
