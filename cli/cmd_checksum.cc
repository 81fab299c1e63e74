#include "cli/cmd_checksum.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <vector>

#include "app/checksum.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

int RunChecksum(const ChecksumOptions& options) {
  std::vector<std::string> files = options.files;
  if (files.empty()) files.push_back("-");
  int status = kExitSuccess;
  for (const std::string& path : files) {
    auto d = app::Checksum({options.algo, path});
    if (!d.ok()) {
      status = Fail(d.status());
      continue;
    }
    fmt::print("{:08x} {} {}\n", d->crc, d->bytes, path);
  }
  return status;
}

Runner AddChecksum(CLI::App& app) {
  auto opts = std::make_shared<ChecksumOptions>();
  CLI::App* cmd =
      app.add_subcommand("checksum", "Print the CRC-32C (or CRC-32) of files, like cksum");
  cmd->add_option("--algo", opts->algo, "crc32c (Castagnoli, default) or crc32 (zlib)")
      ->check(CLI::IsMember({"crc32", "crc32c"}));
  cmd->add_option("files", opts->files, "Files ('-' or none: standard input)");
  return [opts] { return RunChecksum(*opts); };
}

}  // namespace perfkit::cli
