#include "cli/common.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include "app/database.h"
#include "app/files.h"

namespace perfkit::cli {

bool UseColor(std::FILE* stream) {
  const char* no_color = std::getenv("NO_COLOR");
  return isatty(fileno(stream)) && (no_color == nullptr || *no_color == '\0');
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "perfkit: %s\n", app::Redacted(message).c_str());
  return code;
}

int Fail(const Status& status) { return Fail(app::ExitCodeFor(status), status.message()); }

int WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    fmt::print("{}", text);
    return kExitSuccess;
  }
  if (Status s = app::WriteFileAtomically(path, text); !s.ok()) return Fail(s);
  return kExitSuccess;
}

CLI::Option* AddDbFlag(CLI::App* cmd, std::string* db) {
  return cmd
      ->add_option("--db", *db,
                   "Result store: a SQLite file or postgresql://user@host/dbname (default "
                   "$PERFKIT_DB or ./perfkit.db)")
      ->check(CLI::Validator(
          [](std::string& path) -> std::string {
            return path.empty() ? "the database path is empty" : "";
          },
          "PATH|URI"));
}

CLI::Validator FiniteRange(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(v) || v < min || v > max) {
          return fmt::format("value {} is not a number from {} to {}", text, min, max);
        }
        return "";
      },
      fmt::format("FLOAT in [{} - {}]", min, max));
}

}  // namespace perfkit::cli
