// Small helpers the subcommands share: failing with one line, colour, and
// the numeric validator every floating-point option uses.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "app/exit_status.h"
#include "app/views.h"

namespace perfkit::cli {

using app::FormatBytes;
using app::FormatDuration;
using app::FormatThroughput;
using app::kExitFailure;
using app::kExitInterrupted;
using app::kExitSuccess;
using app::kExitUsage;

// Colour only on a terminal and only without NO_COLOR.
bool UseColor(std::FILE* stream);

// Prints "perfkit: MESSAGE" on stderr and returns code.
int Fail(int code, const std::string& message);
// The same, with the exit code the status's kind calls for.
int Fail(const Status& status);

// TEXT on stdout when PATH is empty or "-", else written to PATH (whole or
// not at all).
int WriteOutput(const std::string& path, const std::string& text);

// --db PATH (default $PERFKIT_DB or ./perfkit.db); an empty path is refused.
CLI::Option* AddDbFlag(CLI::App* cmd, std::string* db);

// CLI::Range that also refuses NaN and infinities (CLI::Range lets NaN
// through: every comparison with it is false).
CLI::Validator FiniteRange(double min, double max);

}  // namespace perfkit::cli
