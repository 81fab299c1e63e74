#include "suites/tune.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <new>
#include <random>

#include "subsystems/base/bytes.h"
#include "subsystems/base/cpu_caches.h"
#include "subsystems/base/cpu_features.h"
#include "subsystems/crc32/crc32.h"
#include "subsystems/memops/memops.h"

namespace perfkit::suites {
namespace {

using Clock = std::chrono::steady_clock;

// The sizes where the engines' paths change, and a few on either side.
constexpr size_t kCrcSizes[] = {8,   16,  24,   32,   48,   64,   96,    128,   192,    256,    384,
                                512, 768, 1024, 2048, 4096, 8192, 16384, 65536, 262144, 1048576};
// Each CRC cell hashes at least this much (and makes 64 calls at least):
// long enough to time, short enough to stay in the caches the size implies.
constexpr size_t kCrcCellBytes = 256 << 10;
// Each streaming cell moves at least this much.
constexpr size_t kStoreCellBytes = size_t{64} << 20;
constexpr size_t kLargestStreamed = size_t{256} << 20;
// Streaming must win by this much: a size where the two are even is noise's
// to call, and cached stores are the safer default there.
constexpr double kStreamingMargin = 1.02;
constexpr int kWarmPasses = 4;
// `rep movsb` against the engine's loops: copies from 1 KiB (the fast
// strings' start-up cost rules below) to 8 MiB, each cell at least this much
// copied, warm in the caches the size implies.
constexpr size_t kRepFirst = 1 << 10, kRepLast = size_t{8} << 20;
constexpr size_t kRepCellBytes = size_t{16} << 20;

struct TuneBufferFree {
  void operator()(char* p) const { ::operator delete[](p, std::align_val_t(64)); }
};
using TuneBuffer = std::unique_ptr<char[], TuneBufferFree>;
TuneBuffer FilledBuffer(size_t n, int fill) {
  TuneBuffer b(static_cast<char*>(::operator new[](n, std::align_val_t(64))));
  std::memset(b.get(), fill, n);  // faulted in before anything is timed
  return b;
}

double MedianValue(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Wall and this thread's CPU time of one cell, per call.
struct Timed {
  double real_ns = 0, cpu_ns = 0;
};
class Stopwatch {
 public:
  Stopwatch() : wall_(Clock::now()), cpu_(ThreadCpuNs()) {}
  Timed Per(int64_t calls) const {
    const double n = static_cast<double>(calls);
    return {std::chrono::duration<double, std::nano>(Clock::now() - wall_).count() / n,
            (ThreadCpuNs() - cpu_) / n};
  }

 private:
  static double ThreadCpuNs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  }
  Clock::time_point wall_;
  double cpu_;
};

// One benchmark per cell, one sample per round, in ns per call.
struct Cells {
  std::map<std::string, BenchmarkResult> results;
  void Add(const std::string& name, Timed t, int64_t iterations) {
    BenchmarkResult& b = results[name];
    if (b.name.empty()) {
      b.name = name;
      b.suite = "tune";
      b.role = Role::kOurs;
    }
    Sample s;
    s.repetition_index = static_cast<int64_t>(b.samples.size());
    s.iterations = iterations;
    s.real_time_ns = t.real_ns;
    s.cpu_time_ns = t.cpu_ns;
    b.samples.push_back(s);
  }
  double MedianOf(const std::string& name) const {
    std::vector<double> v;
    for (const Sample& s : results.at(name).samples) v.push_back(s.real_time_ns);
    return MedianValue(v);
  }
};

// Independent calls, as the crc32 suite times them (a checksum per packet
// or block): a chain of CRCs through each other would time latency, where a
// narrower engine can win at small sizes and lose in the suite.
Timed TimeCrc(crc32::CrcFn fn, const char* data, size_t size, int64_t calls) {
  const Stopwatch watch;
  for (int64_t i = 0; i < calls; ++i) {
    const uint32_t crc = fn(0, data, size);
    asm volatile("" : : "r"(crc));
  }
  return watch.Per(calls);
}

std::vector<TunedBand> TuneCrc(crc32::Kind kind, int rounds, Cells& cells,
                               const TuneOptions& options) {
  const std::string kind_name(crc32::KindName(kind));
  std::vector<const crc32::Engine*> engines;
  for (const crc32::Engine& e : crc32::AllEngines()) {
    if (e.kind == kind && e.available()) engines.push_back(&e);
  }
  TuneBuffer data = FilledBuffer(kCrcSizes[std::size(kCrcSizes) - 1], 0);
  std::mt19937 rng(7);
  for (size_t i = 0; i < kCrcSizes[std::size(kCrcSizes) - 1]; ++i)
    data[i] = static_cast<char>(rng());
  for (int round = 0; round < rounds; ++round) {
    if (options.progress)
      options.progress(fmt::format("{}: round {} of {}", kind_name, round + 1, rounds));
    for (size_t size : kCrcSizes) {
      const int64_t calls = static_cast<int64_t>(std::max<size_t>(64, kCrcCellBytes / size));
      // The order of the engines turns each round, so none always runs first.
      for (size_t k = 0; k < engines.size(); ++k) {
        const crc32::Engine& e = *engines[(k + static_cast<size_t>(round)) % engines.size()];
        cells.Add(fmt::format("tune/{}/{}/{}", kind_name, e.name, size),
                  TimeCrc(e.fn, data.get(), size, calls), calls);
      }
    }
  }
  std::map<size_t, std::map<std::string, double>> ns;
  for (size_t size : kCrcSizes) {
    for (const crc32::Engine* e : engines) {
      ns[size][std::string(e->name)] =
          cells.MedianOf(fmt::format("tune/{}/{}/{}", kind_name, e->name, size));
    }
  }
  return ChooseBands(ns, std::string(crc32::BestEngine(kind).name));
}

// Per size, the median time of the cells named `base` + size over those
// named `challenger` + size (>1: the challenger faster), the smallest size
// from which the challenger won at every larger one (ChooseStreamFrom), and
// the ratios as a line for people: "512 KiB 0.85x, 1 MiB 0.89x".
struct Crossover {
  uint64_t from = kNeverStream;
  std::string line;
};
Crossover FindCrossover(const Cells& cells, const std::vector<size_t>& sizes,
                        const std::string& base, const std::string& challenger) {
  std::vector<std::pair<size_t, double>> ratios;
  Crossover c;
  for (size_t n : sizes) {
    const double ratio =
        cells.MedianOf(base + std::to_string(n)) / cells.MedianOf(challenger + std::to_string(n));
    ratios.emplace_back(n, ratio);
    c.line += fmt::format("{}{} {:.2f}x", c.line.empty() ? "" : ", ",
                          FormatBytes(static_cast<int64_t>(n)), ratio);
  }
  c.from = ChooseStreamFrom(ratios);
  return c;
}

// Cached against streaming stores, from the L2 size to 4x the last-level
// cache (at most 256 MiB), interleaved round by round.
uint64_t TuneStores(bool copy, int rounds, Cells& cells, const TuneOptions& options,
                    std::vector<std::string>& notes) {
  const CpuCaches& caches = DetectCaches();
  const int64_t l2 = caches.Bytes("L2");
  const int64_t llc = std::max(caches.Bytes("L3"), l2);
  const size_t first = l2 > 0 ? static_cast<size_t>(l2) : size_t{256} << 10;
  const size_t last =
      std::min(kLargestStreamed, llc > 0 ? 4 * static_cast<size_t>(llc) : size_t{128} << 20);
  std::vector<size_t> sizes;
  for (size_t n = first; n <= last; n *= 2) sizes.push_back(n);
  if (sizes.empty()) return kNeverStream;
  const std::string op = copy ? "copy" : "set";
  TuneBuffer dst = FilledBuffer(sizes.back(), 1);
  TuneBuffer src = copy ? FilledBuffer(sizes.back(), 2) : TuneBuffer();
  for (int round = 0; round < rounds; ++round) {
    if (options.progress)
      options.progress(fmt::format("{} stores: round {} of {}", op, round + 1, rounds));
    for (size_t n : sizes) {
      const int64_t times = static_cast<int64_t>(std::max<size_t>(1, kStoreCellBytes / n));
      for (int k = 0; k < 2; ++k) {
        const bool streaming = (k + round) % 2 == 1;
        memops::ScopedNonTemporalThreshold moved(streaming ? 0 : SIZE_MAX);
        const auto pass = [&](int64_t i) {
          if (copy) {
            memops::Copy(dst.get(), src.get(), n);
          } else {
            memops::Set(dst.get(), static_cast<int>(i), n);
          }
        };
        // Untimed passes first: the cell before streamed the buffer out of
        // the caches, and cached stores would pay for that here, where the
        // suite (and a program) measures them warm; the last-level cache
        // takes a few passes to hold a buffer near its size (a 16 MiB set on
        // a 32 MiB L3: 1.6x slower after one pass than after four, Zen 3).
        for (int warm = 0; warm < kWarmPasses; ++warm) pass(-1 - warm);
        const Stopwatch watch;
        for (int64_t i = 0; i < times; ++i) pass(i);
        asm volatile("" : : "r"(dst.get()) : "memory");
        cells.Add(fmt::format("tune/{}-stores/{}/{}", op, streaming ? "streaming" : "cached", n),
                  watch.Per(times), times);
      }
    }
  }
  const Crossover c = FindCrossover(cells, sizes, "tune/" + op + "-stores/cached/",
                                    "tune/" + op + "-stores/streaming/");
  notes.push_back(fmt::format(
      "{}: streaming against cached stores (>1: streaming faster): {}; {}", op, c.line,
      c.from == kNeverStream ? "streaming did not win at the largest size: never stream"
                             : "stream from " + FormatBytes(static_cast<int64_t>(c.from))));
  return c.from;
}

// Our copies (or sets) with the engine's loops against `rep movsb` (`rep
// stosb`), interleaved round by round, below where they stream: the size
// from which the string instruction won at that size and every larger one.
uint64_t TuneFastStrings(bool copy, uint64_t stream_from, int rounds, Cells& cells,
                         const TuneOptions& options, std::vector<std::string>& notes) {
  const std::string op = copy ? "copy" : "set", insn = copy ? "rep movsb" : "rep stosb";
  const std::string ops = copy ? "copies" : "sets";
  if (!GetCpuFeatures().erms) {
    notes.push_back(ops + ": no ERMS (fast strings) on this CPU: " + insn + " is never used");
    return kNeverStream;
  }
  std::vector<size_t> sizes;
  for (size_t n = kRepFirst; n <= kRepLast && n < stream_from; n *= 2) sizes.push_back(n);
  if (sizes.empty()) return kNeverStream;
  TuneBuffer dst = FilledBuffer(sizes.back() + 64, 1);
  TuneBuffer src = FilledBuffer(sizes.back() + 64, 2);
  // Copies and sets that do not stream whatever the threshold says: this
  // measures the cached path alone.
  memops::ScopedNonTemporalThreshold cached(SIZE_MAX);
  const auto call = [&](size_t n) {
    if (copy) {
      memops::Copy(dst.get(), src.get(), n);
    } else {
      memops::Set(dst.get(), 0x5a, n);
    }
  };
  const std::string label = copy ? "rep-movsb" : "rep-stosb";
  for (int round = 0; round < rounds; ++round) {
    if (options.progress)
      options.progress(fmt::format("{}: round {} of {}", insn, round + 1, rounds));
    for (size_t n : sizes) {
      const int64_t times = static_cast<int64_t>(std::max<size_t>(64, kRepCellBytes / n));
      for (int k = 0; k < 2; ++k) {
        const bool rep = (k + round) % 2 == 1;
        // Each moves only its own operation's path.
        memops::ScopedRepMovsbFrom movsb(rep ? 0 : SIZE_MAX);
        memops::ScopedRepStosbFrom stosb(rep ? 0 : SIZE_MAX);
        for (int warm = 0; warm < kWarmPasses; ++warm) call(n);
        const Stopwatch watch;
        for (int64_t i = 0; i < times; ++i) {
          call(n);
          asm volatile("" : : "r"(dst.get()) : "memory");
        }
        cells.Add(fmt::format("tune/{}/{}/{}", op, rep ? label : "loops", n), watch.Per(times),
                  times);
      }
    }
  }
  const Crossover c =
      FindCrossover(cells, sizes, "tune/" + op + "/loops/", "tune/" + op + "/" + label + "/");
  notes.push_back(fmt::format("{}: {} against the {} engine's loops (>1: {} faster): {}; {}", ops,
                              insn, memops::BestEngine().name, insn, c.line,
                              c.from == kNeverStream
                                  ? "it did not win at the largest size: never"
                                  : insn + " from " + FormatBytes(static_cast<int64_t>(c.from))));
  return c.from;
}

}  // namespace

std::vector<TunedBand> ChooseBands(const std::map<size_t, std::map<std::string, double>>& ns,
                                   const std::string& preferred, double hysteresis) {
  std::vector<TunedBand> bands;
  for (const auto& entry : ns) {
    const size_t size = entry.first;
    const std::map<std::string, double>& by_engine = entry.second;
    if (by_engine.empty()) continue;
    const auto best =
        std::min_element(by_engine.begin(), by_engine.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    const auto near_best = [&](const std::string& engine) {
      const auto it = by_engine.find(engine);
      return it != by_engine.end() && it->second <= best->second * (1 + hysteresis);
    };
    if (!bands.empty() && near_best(bands.back().engine)) continue;
    const std::string& engine = near_best(preferred) ? preferred : best->first;
    bands.push_back({bands.empty() ? 0 : size, engine});
  }
  if (bands.size() > crc32::kMaxBands) return ChooseBands(ns, preferred, 2 * hysteresis + 0.01);
  return bands;
}

uint64_t ChooseStreamFrom(const std::vector<std::pair<size_t, double>>& cached_over_streamed) {
  uint64_t from = kNeverStream;
  for (auto it = cached_over_streamed.rbegin();
       it != cached_over_streamed.rend() && it->second > kStreamingMargin; ++it) {
    from = it->first;
  }
  return from;
}

TuneMeasurement MeasureTuning(const TuneOptions& options) {
  TuneMeasurement out;
  Cells cells;
  const int crc_rounds = options.quick ? 31 : 121;
  const int store_rounds = options.quick ? 5 : 21;
  out.tuning.crc32 = TuneCrc(crc32::Kind::kCrc32, crc_rounds, cells, options);
  out.tuning.crc32c = TuneCrc(crc32::Kind::kCrc32c, crc_rounds, cells, options);
  out.tuning.copy_stream_from = TuneStores(true, store_rounds, cells, options, out.notes);
  out.tuning.set_stream_from = TuneStores(false, store_rounds, cells, options, out.notes);
  const int rep_rounds = options.quick ? 11 : 31;
  out.tuning.copy_rep_movsb_from =
      TuneFastStrings(true, out.tuning.copy_stream_from, rep_rounds, cells, options, out.notes);
  out.tuning.set_rep_stosb_from =
      TuneFastStrings(false, out.tuning.set_stream_from, rep_rounds, cells, options, out.notes);
  for (auto& [name, result] : cells.results) out.benchmarks.push_back(std::move(result));
  return out;
}

}  // namespace perfkit::suites
