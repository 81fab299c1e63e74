#include "suites/engine_choice.h"

#include <cstdint>

#include "subsystems/base/bytes.h"
#include "subsystems/crc32/crc32.h"
#include "subsystems/memops/memops.h"

namespace perfkit::suites {

std::vector<EngineChoice> EngineChoices() {
  return EngineChoices(GetCpuFeatures(), DetectCaches());
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
  out.push_back(
      {"memops", std::string(m.name),
       std::string(m.by_size) +
           (stream == SIZE_MAX
                ? "; no non-temporal stores (the cache size is unknown)"
                : "; non-temporal stores for copies of " +
                      FormatBytes(static_cast<int64_t>(stream)) + " and more, sets above " +
                      FormatBytes(static_cast<int64_t>(2 * stream)) +
                      " (once the bytes touched pass the last-level cache)")});
  return out;
}

}  // namespace perfkit::suites
