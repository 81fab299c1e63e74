#include "suites/engine_choice.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>

#include "results/tuning.h"
#include "subsystems/base/bytes.h"
#include "subsystems/crc32/crc32.h"
#include "subsystems/memops/memops.h"

namespace perfkit::suites {
namespace {

std::string Bytes(size_t n) { return FormatBytes(static_cast<int64_t>(n)); }
std::string FromOrNever(size_t n) { return n == SIZE_MAX ? "never" : "from " + Bytes(n); }

// Where memops leaves its engine's own paths: copies that run `rep movsb`
// and stores that stream, each by the CPU's rule or as perfkit tune measured.
struct MemopsThresholds {
  size_t rep_from = SIZE_MAX;
  bool rep_tuned = false;
  size_t stosb_from = SIZE_MAX;
  bool stosb_tuned = false;
  size_t copy_stream = SIZE_MAX, set_stream = SIZE_MAX;
  bool stream_tuned = false;
};

std::string MemopsBySize(const memops::Engine& m, const MemopsThresholds& t) {
  std::string out(m.by_size);
  if (t.rep_tuned) {
    out += "; rep movsb for copies, as measured here: " + FromOrNever(t.rep_from);
  } else if (t.rep_from != SIZE_MAX && t.rep_from < t.copy_stream) {
    out += "; rep movsb for copies from " + Bytes(t.rep_from) + " (Intel's fast strings)";
  }
  if (t.stosb_tuned) {
    out += "; rep stosb for sets, as measured here: " + FromOrNever(t.stosb_from);
  } else if (t.stosb_from != SIZE_MAX && t.stosb_from < t.set_stream) {
    out += "; rep stosb for sets from " + Bytes(t.stosb_from) + " (Intel's fast strings)";
  }
  if (t.stream_tuned) {
    out += "; non-temporal stores, as measured here: copies " + FromOrNever(t.copy_stream) +
           ", sets " + FromOrNever(t.set_stream);
  } else if (t.copy_stream == SIZE_MAX) {
    out += "; no non-temporal stores (the cache size is unknown)";
  } else {
    out += "; non-temporal stores for copies of " + Bytes(t.copy_stream) +
           " and more (glibc's rule: a quarter of the L3 and L2, at least 3/4 of one CPU's "
           "share), sets above " +
           Bytes(t.set_stream - 1) + " (twice that, and past the last-level cache)";
  }
  return out;
}

}  // namespace

std::vector<EngineChoice> EngineChoices() {
  std::vector<EngineChoice> out = EngineChoices(GetCpuFeatures(), DetectCaches());
  for (EngineChoice& c : out) {
    if (c.what == "memops") {
      c.tuned = memops::RepMovsbTuned() || memops::RepStosbTuned() || memops::StreamingTuned();
      c.by_size =
          MemopsBySize(memops::BestEngine(),
                       {memops::RepMovsbFrom(), memops::RepMovsbTuned(), memops::RepStosbFrom(),
                        memops::RepStosbTuned(), memops::NonTemporalThreshold(),
                        memops::SetStreamingFrom(), memops::StreamingTuned()});
      continue;
    }
    const crc32::Kind kind = c.what == "crc32" ? crc32::Kind::kCrc32 : crc32::Kind::kCrc32c;
    if (!crc32::Tuned(kind)) continue;
    std::vector<TunedBand> bands;
    std::vector<std::string_view> names;
    for (const crc32::Band& b : crc32::Bands(kind)) {
      bands.push_back({b.from, std::string(b.engine)});
      if (std::find(names.begin(), names.end(), b.engine) == names.end()) names.push_back(b.engine);
    }
    c = {c.what, fmt::format("{}", fmt::join(names, "+")), DescribeBands(bands), true};
  }
  return out;
}

std::vector<EngineChoice> EngineChoices(const CpuFeatures& features, const CpuCaches& caches) {
  std::vector<EngineChoice> out;
  for (crc32::Kind kind : {crc32::Kind::kCrc32, crc32::Kind::kCrc32c}) {
    const crc32::Engine e = crc32::BestEngineFor(kind, features);
    out.push_back(
        {std::string(crc32::KindName(kind)), std::string(e.name), std::string(e.by_size)});
  }
  const memops::Engine m = memops::BestEngineFor(features);
  MemopsThresholds t;
  t.rep_from = memops::RepMovsbFromFor(features, caches);
  t.stosb_from = memops::RepStosbFromFor(features, caches);
  t.copy_stream = memops::NonTemporalThresholdFor(caches);
  t.set_stream = memops::SetStreamingFromFor(caches);
  out.push_back({"memops", std::string(m.name), MemopsBySize(m, t)});
  return out;
}

}  // namespace perfkit::suites
