// libFuzzer target: any bytes as a folded-stack file (`a;b;c 12` lines).
// What the parser accepts must write out and parse again to the same
// stacks, and nothing crashes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "report/profile_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace perfkit;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto stacks = report::ParseFolded(text);
  if (!stacks.ok()) return 0;
  auto again = report::ParseFolded(report::FoldedStacks(*stacks));
  if (!again.ok()) std::abort();
  uint64_t a = 0, b = 0;
  for (const auto& s : *stacks) a += s.count;
  for (const auto& s : *again) b += s.count;
  if (a != b) std::abort();
  return 0;
}
