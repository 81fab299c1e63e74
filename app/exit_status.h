// perfkit's exit codes, one place for all of them (documented in the README
// and in `perfkit --help`), and the code for a failed Status.
#pragma once

#include "subsystems/base/status.h"

namespace perfkit::app {

enum ExitStatus : int {
  kExitSuccess = 0,
  kExitRegression = 1,     // compare/ab/report --compare: a benchmark regressed
  kExitTestsFailed = 1,    // jit test: at least one test file failed
  kExitUsage = 2,          // bad arguments: unknown suite, filter matching nothing, bad flag
  kExitFailure = 3,        // could not do the work: bad file, unreadable database, I/O
  kExitInconclusive = 4,   // compare/ab/report --compare: too little data for a verdict
  kExitInterrupted = 130,  // SIGINT/SIGTERM: finished results kept, run marked interrupted
};

inline constexpr const char* kExitStatusHelp =
    "Exit status: 0 success; 1 regression (compare, ab, report --compare) or failed tests (jit "
    "test); 2 usage error; 3 failure (bad input file, database or I/O error); 4 inconclusive "
    "comparison (too little data to judge); 130 interrupted.";

inline int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return kExitSuccess;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    case StatusCode::kCancelled:
      return kExitInterrupted;
    case StatusCode::kFailed:
      break;
  }
  return kExitFailure;
}

}  // namespace perfkit::app
