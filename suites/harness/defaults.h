// How much perfkit measures when the user does not say: the one place these
// numbers are written (bench, bench --exec, ab, profile --suite and their
// help text all read them here).
#pragma once

namespace perfkit::harness {

struct MeasureDefaults {
  int repetitions;
  double min_time_s;  // per repetition
};

inline constexpr MeasureDefaults kUsualDefaults{10, 0.05};
// --quick: a smoke run, enough to prove every benchmark works.
inline constexpr MeasureDefaults kQuickDefaults{3, 0.01};

inline constexpr MeasureDefaults DefaultsFor(bool quick) {
  return quick ? kQuickDefaults : kUsualDefaults;
}

}  // namespace perfkit::harness
