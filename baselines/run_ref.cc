#include "baselines/run_ref.h"

#include <cctype>

namespace perfkit::store {
namespace {

constexpr size_t kMinBarePrefix = 4;

bool IsUuidChar(char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '-'; }

Result<RunRef> UuidPrefix(const std::string& text, const std::string& prefix) {
  RunRef ref;
  ref.kind = RunRef::Kind::kUuidPrefix;
  for (char c : prefix) {
    if (!IsUuidChar(c)) {
      return Status::InvalidArgument("run reference '" + text +
                                     "' is not a uuid prefix (hex digits and '-')");
    }
    ref.uuid_prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (ref.uuid_prefix.empty()) {
    return Status::InvalidArgument("run reference '" + text + "' has nothing after 'uuid:'");
  }
  return ref;
}

}  // namespace

Result<RunRef> ParseRunRef(const std::string& text) {
  if (text == "latest") return RunRef{};
  if (text.rfind("uuid:", 0) == 0) return UuidPrefix(text, text.substr(5));
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    RunRef ref;
    ref.kind = RunRef::Kind::kId;
    for (char c : text) {
      if (ref.id > (INT64_MAX - (c - '0')) / 10) {
        return Status::InvalidArgument("run id '" + text + "' is out of range");
      }
      ref.id = ref.id * 10 + (c - '0');
    }
    return ref;
  }
  bool letter = false;
  for (char c : text) letter |= std::isalpha(static_cast<unsigned char>(c)) != 0;
  if (text.size() >= kMinBarePrefix && letter &&
      text.find_first_not_of("0123456789abcdefABCDEF-") == std::string::npos) {
    return UuidPrefix(text, text);
  }
  return Status::InvalidArgument(
      "'" + text +
      "' is not a run reference (a run id, 'latest', a uuid prefix of at least 4 hex digits "
      "with a letter among them, or uuid:PREFIX)");
}

}  // namespace perfkit::store
