// What `perfkit tune` measured for one host: the engine per size band for
// CRC-32 and CRC-32C, where streaming stores start to win for copies and
// sets, and where copies and sets start to win with `rep movsb` and `rep stosb`. Dispatch follows
// it on that host; the store keeps one per host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit {

struct TunedBand {
  uint64_t from_bytes = 0;
  std::string engine;
  bool operator==(const TunedBand&) const = default;
};

inline constexpr uint64_t kNeverStream = UINT64_MAX;

struct Tuning {
  std::string host_fingerprint;
  std::string created_at;  // ISO 8601, UTC
  int64_t run_id = 0;      // the run that holds the measurements
  std::vector<TunedBand> crc32, crc32c;
  uint64_t copy_stream_from = kNeverStream;
  uint64_t set_stream_from = kNeverStream;
  // Copies from this size (up to where they stream) run `rep movsb`;
  // kNeverStream: never. Empty in a tuning stored before tune measured it.
  std::optional<uint64_t> copy_rep_movsb_from;
  // Sets from this size (up to where they stream) run `rep stosb`, likewise.
  std::optional<uint64_t> set_rep_stosb_from;
};

// "0:slice8 16:pclmul 64:vpclmul": the store's and the JSON's form.
std::string FormatBands(const std::vector<TunedBand>& bands);
// Refuses anything but increasing byte counts from 0, each with an engine
// name of letters and digits (the text may come from an imported file).
Result<std::vector<TunedBand>> ParseBands(const std::string& text);
// "< 16 B: slice8; 16-63 B: vpclmul; >= 64 B: hybrid", for people.
std::string DescribeBands(const std::vector<TunedBand>& bands);
// "8388608" or "never".
std::string FormatStreamFrom(uint64_t bytes);
Result<uint64_t> ParseStreamFrom(const std::string& text);

}  // namespace perfkit
