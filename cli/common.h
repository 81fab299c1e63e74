// Small helpers the subcommands share: where the database is, opening it,
// tags, time stamps, atomic file writes and human formatting.
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "baselines/store.h"
#include "report/units.h"
#include "subsystems/base/status.h"

namespace perfkit::cli {

using report::FormatBytes;
using report::FormatDuration;
using report::FormatThroughput;

// --db, else $PERFKIT_DB, else ./perfkit.db.
std::string DatabasePath(const std::string& flag);
Result<std::unique_ptr<store::Store>> OpenStore(const std::string& flag);

Result<std::map<std::string, std::string>> ParseTags(const std::vector<std::string>& tags);

std::string NowIso8601();
std::string NewUuid();

// Writes to PATH.tmp and renames, so a failure never leaves half a file.
Status WriteFileAtomically(const std::string& path, const std::string& content);
Result<std::string> ReadFile(const std::string& path);

// Colour only on a terminal and only without NO_COLOR.
bool UseColor(std::FILE* stream);

// Prints "perfkit: MESSAGE" on stderr and returns code.
int Fail(int code, const std::string& message);

}  // namespace perfkit::cli
