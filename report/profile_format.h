// Text forms of a sampling profile: folded stacks (`root;a;b 123`, what
// flamegraph.pl and inferno read), speedscope's JSON, and a hotspot table
// with self and total shares per function.
#pragma once

#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "suites/result.h"

namespace perfkit::report {

std::string FoldedStacks(const std::vector<ProfileStack>& stacks);

// Fails on the first line that is not `frames count`, naming it.
Result<std::vector<ProfileStack>> ParseFolded(const std::string& text);

// The `top` functions by self samples: self %, total % (samples with the
// function anywhere on the stack) and the name.
std::string HotspotTable(const std::vector<ProfileStack>& stacks, size_t top = 25);

// Functions whose self share changed most from `before` to `after`, in
// percentage points of each profile's samples.
std::string DiffTable(const std::vector<ProfileStack>& before,
                      const std::vector<ProfileStack>& after, size_t top = 25);

// speedscope's file format (https://www.speedscope.app/file-format-schema.json):
// one "sampled" profile, frames shared, stacks root first, weights = samples.
std::string SpeedscopeJson(const std::vector<ProfileStack>& stacks, const std::string& name);

}  // namespace perfkit::report
