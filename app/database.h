// Where the result store is and opening it: --db, else $PERFKIT_DB, else
// ./perfkit.db. A location is a SQLite file or a postgresql:// URI.
#pragma once

#include <memory>
#include <string>

#include "baselines/store.h"
#include "subsystems/base/status.h"

namespace perfkit::app {

std::string DatabasePath(const std::string& flag);
// The location as it may be shown: without a password.
std::string DatabaseName(const std::string& flag);
// Whether there may be runs there: a file that exists, or any server (only
// connecting tells).
bool DatabaseExists(const std::string& flag);
// Text for the user's eyes (an error, a progress line) without any database
// password in it.
std::string Redacted(const std::string& text);
// Commands that only read pass kReadOnly: they never create or change a file.
Result<std::unique_ptr<store::Store>> OpenStore(const std::string& flag,
                                                store::OpenMode mode = store::OpenMode::kReadWrite);

}  // namespace perfkit::app
