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

std::vector<EngineChoice> EngineChoices() {
  std::vector<EngineChoice> out = EngineChoices(GetCpuFeatures(), DetectCaches());
  for (EngineChoice& c : out) {
    if (c.what == "memops") {
      const auto from = [](size_t n) {
        return n == SIZE_MAX ? std::string("never")
                             : "from " + FormatBytes(static_cast<int64_t>(n));
      };
      if (memops::RepMovsbTuned()) {
        const size_t cut =
            std::min(c.by_size.find("; rep movsb"), c.by_size.find("; non-temporal"));
        const std::string rest = c.by_size.substr(std::min(c.by_size.size(), cut));
        c.by_size = c.by_size.substr(0, cut) +
                    "; rep movsb for copies, as measured here: " + from(memops::RepMovsbFrom()) +
                    rest.substr(std::min(rest.size(), rest.find("; non-temporal")));
        c.tuned = true;
      }
      if (memops::StreamingTuned()) {
        c.by_size = c.by_size.substr(0, c.by_size.find("; non-temporal")) +
                    "; non-temporal stores, as measured here: copies " +
                    from(memops::NonTemporalThreshold()) + ", sets " +
                    from(memops::SetStreamingFrom());
        c.tuned = true;
      }
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
  const size_t stream = memops::NonTemporalThresholdFor(caches);
  const size_t rep = memops::RepMovsbFromFor(features);
  out.push_back(
      {"memops", std::string(m.name),
       std::string(m.by_size) +
           (rep == SIZE_MAX || rep >= stream
                ? ""
                : "; rep movsb for copies from " + FormatBytes(static_cast<int64_t>(rep)) +
                      " (Intel's fast strings)") +
           (stream == SIZE_MAX
                ? "; no non-temporal stores (the cache size is unknown)"
                : "; non-temporal stores for copies of " +
                      FormatBytes(static_cast<int64_t>(stream)) + " and more, sets above " +
                      FormatBytes(static_cast<int64_t>(2 * stream)) +
                      " (once the bytes touched pass the last-level cache)")});
  return out;
}

}  // namespace perfkit::suites
