// Where the result store is and opening it. The rule for where (--db, else
// $PERFKIT_DB, else ./perfkit.db) lives here and nowhere else; what it
// yields travels as a store::StoreLocation.
#pragma once

#include <memory>
#include <string>

#include "baselines/store.h"
#include "subsystems/base/status.h"

namespace perfkit::app {

inline constexpr const char* kDefaultDatabase = "perfkit.db";

store::StoreLocation ResolveStore(const std::string& flag);
// Text for the user's eyes (an error, a progress line) without any database
// password in it.
std::string Redacted(const std::string& text);
// Commands that only read pass kReadOnly: they never create or change a file.
Result<std::unique_ptr<store::Store>> OpenStore(const store::StoreLocation& where,
                                                store::OpenMode mode = store::OpenMode::kReadWrite);

}  // namespace perfkit::app
