#include "app/database.h"

#include <cstdlib>
#include <filesystem>

#include "baselines/location.h"

namespace perfkit::app {

std::string DatabasePath(const std::string& flag) {
  std::string location = "perfkit.db";
  if (!flag.empty()) {
    location = flag;
  } else if (const char* env = std::getenv("PERFKIT_DB"); env && *env) {
    location = env;
  }
  // Read once here, so its passwords are masked in whatever is printed later.
  (void)store::ShownLocation(location);
  return location;
}

std::string DatabaseName(const std::string& flag) {
  return store::ShownLocation(DatabasePath(flag));
}

std::string Redacted(const std::string& text) { return store::RedactPassword(text); }

bool DatabaseExists(const std::string& flag) {
  const std::string location = DatabasePath(flag);
  std::error_code ec;
  return store::IsPostgresUri(location) || std::filesystem::exists(location, ec);
}

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& flag, store::OpenMode mode) {
  return store::Store::Open(DatabasePath(flag), mode);
}

}  // namespace perfkit::app
