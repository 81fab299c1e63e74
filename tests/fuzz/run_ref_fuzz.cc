// libFuzzer target: any text as a run reference. A number is only ever a
// run id, a uuid prefix is only hex digits and '-', and nothing crashes.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "baselines/run_ref.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using perfkit::store::RunRef;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto ref = perfkit::store::ParseRunRef(text);
  if (!ref.ok()) return 0;
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (digits != (ref->kind == RunRef::Kind::kId)) std::abort();
  if (ref->kind == RunRef::Kind::kId && ref->id < 0) std::abort();
  if (ref->kind == RunRef::Kind::kUuidPrefix &&
      (ref->uuid_prefix.empty() ||
       ref->uuid_prefix.find_first_not_of("0123456789abcdef-") != std::string::npos)) {
    std::abort();
  }
  return 0;
}
