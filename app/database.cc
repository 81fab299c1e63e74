#include "app/database.h"

#include <cstdlib>

#include "baselines/location.h"

namespace perfkit::app {

store::StoreLocation ResolveStore(const std::string& flag) {
  if (!flag.empty()) return store::StoreLocation(flag);
  if (const char* env = std::getenv("PERFKIT_DB"); env && *env) return store::StoreLocation(env);
  return store::StoreLocation(kDefaultDatabase);
}

std::string Redacted(const std::string& text) { return store::RedactPassword(text); }

Result<std::unique_ptr<store::Store>> OpenStore(const store::StoreLocation& where,
                                                store::OpenMode mode) {
  return store::Store::Open(where, mode);
}

}  // namespace perfkit::app
