#include "app/database.h"

#include <cstdlib>

namespace perfkit::app {

std::string DatabasePath(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("PERFKIT_DB"); env && *env) return env;
  return "perfkit.db";
}

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& flag, store::OpenMode mode) {
  return store::Store::Open(DatabasePath(flag), mode);
}

}  // namespace perfkit::app
