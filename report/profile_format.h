// Text forms of a sampling profile: folded stacks (`root;a;b 123`, what
// flamegraph.pl and inferno read), speedscope's JSON, and a hotspot table
// with self and total shares per function.
#pragma once

#include <string>
#include <vector>

#include "results/result.h"
#include "subsystems/base/status.h"

namespace perfkit::report {

std::string FoldedStacks(const std::vector<ProfileStack>& stacks);

// Fails on the first line that is not `frames count`, naming it.
Result<std::vector<ProfileStack>> ParseFolded(const std::string& text);

struct Hotspot {
  std::string function;
  double self_pct = 0;   // samples that end in it
  double total_pct = 0;  // samples with it anywhere on the stack
};

// How the table ranks: by self samples, or by inclusive ones (perf's
// --children: a function that only calls, like main or sqlite3_step, shows).
struct HotspotOptions {
  size_t top = 25;
  bool by_total = false;
  size_t roots = 1;               // leading frames that name the process or thread, not functions
  std::string what = "function";  // what a frame names: the last column's heading
};

// The `top` functions, most first.
std::vector<Hotspot> Hotspots(const std::vector<ProfileStack>& stacks,
                              const HotspotOptions& options);

// Hotspots as a text table: self %, total % and the name.
std::string HotspotTable(const std::vector<ProfileStack>& stacks,
                         const HotspotOptions& options = {});

struct ShareChange {
  std::string function;
  double before_pct = 0;  // self share of each profile's samples
  double after_pct = 0;
};

// The `top` functions whose self share changed most from `before` to
// `after`, in percentage points of each profile's samples.
std::vector<ShareChange> ShareChanges(const std::vector<ProfileStack>& before,
                                      const std::vector<ProfileStack>& after, size_t top);

// ShareChanges as a text table.
std::string DiffTable(const std::vector<ProfileStack>& before,
                      const std::vector<ProfileStack>& after, size_t top = 25);

// speedscope's file format (https://www.speedscope.app/file-format-schema.json):
// one "sampled" profile, frames shared, stacks root first, weights = samples.
std::string SpeedscopeJson(const std::vector<ProfileStack>& stacks, const std::string& name);

}  // namespace perfkit::report
