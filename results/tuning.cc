#include "results/tuning.h"

#include <cctype>
#include <charconv>

#include "subsystems/base/bytes.h"

namespace perfkit {
namespace {

bool ParseUnsigned(const std::string& text, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool PlainName(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string FormatBands(const std::vector<TunedBand>& bands) {
  std::string out;
  for (const TunedBand& b : bands) {
    if (!out.empty()) out += ' ';
    out += std::to_string(b.from_bytes) + ":" + b.engine;
  }
  return out;
}

Result<std::vector<TunedBand>> ParseBands(const std::string& text) {
  std::vector<TunedBand> bands;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const size_t colon = item.find(':');
    TunedBand band;
    if (colon == std::string::npos || !ParseUnsigned(item.substr(0, colon), &band.from_bytes) ||
        !PlainName(band.engine = item.substr(colon + 1))) {
      return Status::InvalidArgument("a size band is not BYTES:ENGINE");
    }
    if (bands.empty() ? band.from_bytes != 0 : band.from_bytes <= bands.back().from_bytes) {
      return Status::InvalidArgument("size bands must start at 0 and increase");
    }
    bands.push_back(std::move(band));
    start = end + 1;
  }
  if (bands.empty()) return Status::InvalidArgument("no size bands");
  return bands;
}

std::string DescribeBands(const std::vector<TunedBand>& bands) {
  const auto bytes = [](uint64_t n) { return FormatBytes(static_cast<int64_t>(n)); };
  std::string out;
  for (size_t i = 0; i < bands.size(); ++i) {
    if (!out.empty()) out += "; ";
    const bool last = i + 1 == bands.size();
    if (bands.size() == 1) {
      out += "all sizes";
    } else if (i == 0) {
      out += "< " + bytes(bands[1].from_bytes);
    } else if (last) {
      out += ">= " + bytes(bands[i].from_bytes);
    } else {
      out += bytes(bands[i].from_bytes) + " to < " + bytes(bands[i + 1].from_bytes);
    }
    out += ": " + bands[i].engine;
  }
  return out;
}

std::string FormatStreamFrom(uint64_t bytes) {
  return bytes == kNeverStream ? "never" : std::to_string(bytes);
}

Result<uint64_t> ParseStreamFrom(const std::string& text) {
  if (text == "never") return kNeverStream;
  uint64_t bytes = 0;
  if (!ParseUnsigned(text, &bytes)) {
    return Status::InvalidArgument("a streaming threshold is a byte count or 'never'");
  }
  return bytes;
}

}  // namespace perfkit
