// What a run reference says, parsed before the database is asked: a number
// is a run id and nothing else; a uuid prefix needs a form that cannot be
// taken for one (at least 4 hex digits with a letter among them, or an
// explicit "uuid:" in front); "latest" is the newest run.
#pragma once

#include <cstdint>
#include <string>

#include "subsystems/base/status.h"

namespace perfkit::store {

struct RunRef {
  enum class Kind { kLatest, kId, kUuidPrefix };
  Kind kind = Kind::kLatest;
  int64_t id = 0;
  std::string uuid_prefix;  // lower case
};

// Fails (an invalid argument) on anything else, saying which forms exist.
Result<RunRef> ParseRunRef(const std::string& text);

}  // namespace perfkit::store
