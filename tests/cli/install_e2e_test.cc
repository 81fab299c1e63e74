// What a packager and a shell user get: `cmake --install` into a prefix and
// the .deb, each run from where it landed (bench, report with plots,
// profile), the man page rendered, and the completion scripts driven the
// way each shell drives them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "tests/test_util.h"

namespace perfkit::testing {
namespace {

namespace fs = std::filesystem;

bool Have(const std::string& program) {
  return RunCommand({"sh", "-c", "command -v " + program}).exit_code == 0;
}

// bench, report with plots and profile, run from an installed tree.
void UseInstalled(const std::string& root, const TempDir& dir) {
  const std::string perfkit = root + "/bin/perfkit";
  const std::string db = dir.File("installed.db");
  auto bench = RunCommand(
      {perfkit, "bench", "--suite", "crc32", "--quick", "--filter", "crc32c/.*/4096$", "--db", db});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  auto report = RunCommand({perfkit, "report", "--db", db, "-o", dir.File("report")});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_TRUE(fs::exists(dir.File("report/suite-crc32-distributions.png"))) << report.err;
  // The profiler's workload and the plot scripts come from the install.
  auto profile = RunCommand({perfkit, "profile", "-F", "499", "-o", dir.File("p.folded"), "--",
                             root + "/libexec/perfkit/profile_workload", "2000"});
  ASSERT_EQ(profile.exit_code, 0) << profile.err;
  EXPECT_NE(ReadFileOrDie(dir.File("p.folded")).find("Seventy"), std::string::npos);
  for (const char* f :
       {"share/man/man1/perfkit.1", "share/bash-completion/completions/perfkit",
        "share/zsh/vendor-completions/_perfkit", "share/fish/vendor_completions.d/perfkit.fish",
        "share/perfkit/plots/throughput.py", "libexec/perfkit/perfkit-hello",
        "libexec/perfkit/perfkit-hello-cxx"}) {
    EXPECT_TRUE(fs::exists(root + "/" + f)) << f;
  }
}

TEST(Install, PrefixWorksFromWhereItLands) {
  TempDir dir;
  const std::string prefix = dir.File("prefix");
  auto install = RunCommand({PERFKIT_CMAKE, "--install", BinaryDir(), "--prefix", prefix});
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  UseInstalled(prefix, dir);
}

TEST(Install, DebianPackageDependsAndWorksUnpacked) {
  if (!Have("dpkg-deb") || !Have("dpkg-shlibdeps")) GTEST_SKIP() << "needs dpkg-dev";
  TempDir dir;
  auto pack = RunCommand({PERFKIT_CPACK, "-G", "DEB", "--config",
                          BinaryDir() + "/CPackConfig.cmake", "-B", dir.File("pkg")});
  ASSERT_EQ(pack.exit_code, 0) << pack.out << pack.err;
  std::string deb;
  for (const auto& e : fs::directory_iterator(dir.File("pkg"))) {
    if (e.path().extension() == ".deb") deb = e.path().string();
  }
  ASSERT_FALSE(deb.empty()) << pack.out;
  auto depends = RunCommand({"dpkg-deb", "-f", deb, "Depends"});
  ASSERT_EQ(depends.exit_code, 0) << depends.err;
  // SQLite, libdw and the others Debian ships archives of are linked in
  // (start-up: cmake/PerfkitDependencies.cmake); the shared ones are named.
  for (const char* dep : {"libpfm4", "python3-matplotlib", "libbenchmark1debian", "libc6"}) {
    EXPECT_NE(depends.out.find(dep), std::string::npos) << dep << " in " << depends.out;
  }
  ASSERT_EQ(RunCommand({"dpkg-deb", "-x", deb, dir.File("root")}).exit_code, 0);
  UseInstalled(dir.File("root/usr"), dir);
}

TEST(ManPage, RendersWithEveryCommandAndTheReadmeSections) {
  const std::string page = BinaryDir() + "/share/perfkit.1";
  const std::string roff = ReadFileOrDie(page);
  for (const char* text : {".SS perfkit bench", ".SS perfkit baseline save",
                           ".SS perfkit power run", ".SH EXIT STATUS", "usage error",
                           ".SH ENVIRONMENT", "PERFKIT_DB", ".SH FILES", "user_version"}) {
    EXPECT_NE(roff.find(text), std::string::npos) << text;
  }
  if (!Have("groff")) GTEST_SKIP() << "groff is not installed (apt-get install groff-base)";
  // -ww: every warning; a page with a roff mistake warns.
  auto render = RunCommand({"groff", "-man", "-Tutf8", "-ww", "-z", page});
  EXPECT_EQ(render.exit_code, 0);
  EXPECT_EQ(render.err, "");
}

// A database with one run and a baseline named main, for the values the
// completions offer.
class Completion : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bench = RunCommand({PerfkitBinary(), "bench", "--suite", "crc32", "--quick", "--filter",
                             "crc32c/.*/64$", "--db", db_});
    ASSERT_EQ(bench.exit_code, 0) << bench.err;
    ASSERT_EQ(RunCommand({PerfkitBinary(), "baseline", "save", "main", "--db", db_}).exit_code, 0);
  }

  // What the shell offers after `words` (the last one being typed).
  std::string Bash(const std::string& words) {
    const std::string script = "source '" + BinaryDir() + "/share/perfkit.bash'\n" +
                               "COMP_WORDS=(" + words + ")\n" +
                               "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                               "_perfkit\n"
                               "((${#COMPREPLY[@]} == 0)) || printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    auto r = RunCommand({"bash", "--norc", "-c", script}, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return r.out;
  }

  TempDir dir_;
  const std::string db_ = dir_.File("perfkit.db");
};

TEST_F(Completion, BashOffersCommandsOptionsAndValuesFromTheDatabase) {
  const std::string perfkit = "'" + PerfkitBinary() + "'";
  EXPECT_NE(Bash(perfkit + " ''").find("bench\ncompare\nbaseline\n"), std::string::npos);
  EXPECT_EQ(Bash(perfkit + " basel"), "baseline\n");
  EXPECT_NE(Bash(perfkit + " baseline ''").find("save\nlist\nshow\n"), std::string::npos);
  EXPECT_EQ(Bash(perfkit + " bench --su"), "--suite\n");
  EXPECT_NE(Bash(perfkit + " bench --suite ''").find("crc32\nmemops\n"), std::string::npos);
  EXPECT_EQ(Bash(perfkit + " compare --format ''"), "table\nmarkdown\njson\n");
  // Values from the database named by --db, or ./perfkit.db.
  EXPECT_EQ(Bash(perfkit + " baseline show --db '" + db_ + "' ''"), "main\n");
  EXPECT_EQ(Bash(perfkit + " baseline show ''"), "main\n");
  EXPECT_EQ(Bash(perfkit + " compare 1 ''"), "latest\n1\nmain\n");
  EXPECT_EQ(Bash(perfkit + " compare --db '" + dir_.File("none.db") + "' ''"), "");
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  EXPECT_NE(Bash(perfkit + " runs --host ''").find(std::string(host) + "\n"), std::string::npos);
  // Options of the subcommand typed, after its options and their values.
  EXPECT_EQ(Bash(perfkit + " bench --suite crc32 --filter x --qu"), "--quick\n");
  EXPECT_EQ(Bash(perfkit + " power calibrate --qu"), "--quick\n");
  // Files where a file goes.
  EXPECT_NE(Bash(perfkit + " checksum perfkit.d").find("perfkit.db\n"), std::string::npos);
}

TEST_F(Completion, FishOffersTheSame) {
  if (!Have("fish")) GTEST_SKIP() << "fish is not installed";
  const std::string script =
      "source '" + BinaryDir() + "/share/perfkit.fish'; " + "set PATH '" + BinaryDir() +
      "/bin' $PATH; " +
      "complete -C 'perfkit baseline show '; complete -C 'perfkit compare --format '";
  auto r = RunCommand({"fish", "--no-config", "-c", script}, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("main\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("markdown\t"), std::string::npos) << r.out;
}

TEST_F(Completion, ZshOffersTheSame) {
  if (!Have("zsh")) GTEST_SKIP() << "zsh is not installed";
  // _perfkit calls zsh's completion builtins; these stand-ins print what it
  // offers.
  const std::string script =
      "autoload -U compinit && compinit -u -D\n"
      "source '" +
      BinaryDir() +
      "/share/_perfkit'\n"
      "path=('" +
      BinaryDir() +
      "/bin' $path)\n"
      "_describe() { local name=${@[-1]}; print -l -- ${(P)name}; }\n"
      "compadd() { [[ $1 == -a ]] && print -l -- ${(P)2}; }\n"
      "words=(perfkit baseline show ''); CURRENT=4; _perfkit\n"
      "words=(perfkit baseline ''); CURRENT=3; _perfkit\n";
  auto r = RunCommand({"zsh", "-f", "-c", script}, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("main\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("save:Save a run under a name"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace perfkit::testing
