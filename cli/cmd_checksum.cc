#include "cli/cmd_checksum.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cli/command.h"
#include "cli/common.h"
#include "subsystems/crc32/crc32.h"

namespace perfkit::cli {
namespace {

struct Digest {
  uint32_t crc = 0;
  uint64_t bytes = 0;
};

Result<Digest> Checksum(crc32::Kind kind, const std::string& path) {
  const bool stdin_input = path == "-";
  std::FILE* f = stdin_input ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::Error("cannot read '" + path + "': " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  Digest d;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) {
    d.crc = crc32::Compute(kind, d.crc, buffer.data(), n);
    d.bytes += n;
  }
  const bool failed = std::ferror(f);
  const int err = errno;
  if (!stdin_input) std::fclose(f);
  if (failed) return Status::Error("cannot read '" + path + "': " + std::strerror(err));
  return d;
}

}  // namespace

int RunChecksum(const ChecksumOptions& options) {
  const crc32::Kind kind = options.algo == "crc32" ? crc32::Kind::kCrc32 : crc32::Kind::kCrc32c;
  std::vector<std::string> files = options.files;
  if (files.empty()) files.push_back("-");
  int status = kExitSuccess;
  for (const std::string& path : files) {
    auto d = Checksum(kind, path);
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
