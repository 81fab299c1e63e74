#include "app/database.h"

#include <cstdlib>
#include <filesystem>

#include "baselines/location.h"

namespace perfkit::app {

std::string DatabasePath(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("PERFKIT_DB"); env && *env) return env;
  return "perfkit.db";
}

std::string DatabaseName(const std::string& flag) {
  return store::RedactPassword(DatabasePath(flag));
}

bool DatabaseExists(const std::string& flag) {
  const std::string location = DatabasePath(flag);
  std::error_code ec;
  return store::IsPostgresUri(location) || std::filesystem::exists(location, ec);
}

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& flag, store::OpenMode mode) {
  return store::Store::Open(DatabasePath(flag), mode);
}

}  // namespace perfkit::app
