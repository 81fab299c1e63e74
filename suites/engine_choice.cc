#include "suites/engine_choice.h"

#include <cstdint>

#include "subsystems/crc32/crc32.h"
#include "subsystems/memops/memops.h"

namespace perfkit::suites {

namespace {

std::string Bytes(size_t n) {
  if (n % (1 << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n % (1 << 10) == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " B";
}

}  // namespace

std::vector<EngineChoice> EngineChoices() {
  std::vector<EngineChoice> out;
  for (crc32::Kind kind : {crc32::Kind::kCrc32, crc32::Kind::kCrc32c}) {
    const crc32::Engine& e = crc32::BestEngine(kind);
    out.push_back(
        {std::string(crc32::KindName(kind)), std::string(e.name), std::string(e.by_size)});
  }
  const memops::Engine& m = memops::BestEngine();
  const size_t stream = memops::NonTemporalThreshold();
  out.push_back({"memops", std::string(m.name),
                 std::string(m.by_size) +
                     (stream == SIZE_MAX
                          ? "; no non-temporal stores (the cache size is unknown)"
                          : "; non-temporal stores for copies of " + Bytes(stream) +
                                " and more, sets of " + Bytes(2 * stream) +
                                " and more (once the bytes touched pass the last-level cache)")});
  return out;
}

}  // namespace perfkit::suites
