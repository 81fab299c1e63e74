#include "suites/harness/runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "suites/harness/interrupt.h"

namespace perfkit::harness {
namespace {

using Clock = std::chrono::steady_clock;

double NanosPerUnit(benchmark::TimeUnit unit) {
  switch (unit) {
    case benchmark::kNanosecond:
      return 1;
    case benchmark::kMicrosecond:
      return 1e3;
    case benchmark::kMillisecond:
      return 1e6;
    case benchmark::kSecond:
      return 1e9;
  }
  return 1;
}

const char* UnitName(benchmark::TimeUnit unit) {
  switch (unit) {
    case benchmark::kNanosecond:
      return "ns";
    case benchmark::kMicrosecond:
      return "us";
    case benchmark::kMillisecond:
      return "ms";
    case benchmark::kSecond:
      return "s";
  }
  return "ns";
}

class Progress {
 public:
  Progress(bool enabled, size_t benchmarks, int rounds)
      : enabled_(enabled),
        benchmarks_(benchmarks),
        rounds_(rounds),
        total_(benchmarks * static_cast<size_t>(rounds)),
        start_(Clock::now()) {}
  ~Progress() {
    if (enabled_ && done_ > 0) std::fprintf(stderr, "\r\033[K");
  }
  void Step(const std::string& name) {
    ++done_;
    if (!enabled_) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double left = elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_);
    std::fprintf(stderr, "\r\033[Kround %zu/%d, benchmark %zu/%zu: %s  %.0fs elapsed, ~%.0fs left",
                 (done_ - 1) / benchmarks_ + 1, rounds_, (done_ - 1) % benchmarks_ + 1, benchmarks_,
                 name.c_str(), elapsed, left);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  size_t benchmarks_;
  int rounds_;
  size_t total_;
  size_t done_ = 0;
  Clock::time_point start_;
};

// Keeps every iteration run (never only aggregates) and converts it.
class CaptureReporter : public benchmark::BenchmarkReporter {
 public:
  CaptureReporter(const std::map<std::string, const suites::BenchmarkSpec*>& specs,
                  const SampleSink& sink, Progress& progress)
      : specs_(specs), sink_(sink), progress_(progress) {}

  void set_round(int round) { round_ = round; }

  bool ReportContext(const Context&) override { return true; }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      // Benchmarks skipped because the user stopped the run are not results.
      if (run.error_occurred && InterruptRequested()) continue;
      BenchmarkResult result = Convert(run);
      progress_.Step(result.name);
      sink_(result);
    }
  }

 private:
  BenchmarkResult Convert(const Run& run) const {
    BenchmarkResult r;
    // The registered name, without the "/iterations:20/manual_time" Google
    // Benchmark appends for specs that fix their iterations or time themselves.
    r.name = run.run_name.function_name;
    if (auto it = specs_.find(r.name); it != specs_.end()) {
      r.role = it->second->role;
      r.suite = it->second->suite;
    }
    r.threads = run.threads;
    r.time_unit = UnitName(run.time_unit);
    r.label = run.report_label;
    if (run.error_occurred) {
      r.error = run.error_message;
      return r;
    }
    const double scale = NanosPerUnit(run.time_unit);
    Sample s;
    s.repetition_index = round_;
    s.iterations = run.iterations;
    s.real_time_ns = run.GetAdjustedRealTime() * scale;
    s.cpu_time_ns = run.GetAdjustedCPUTime() * scale;
    for (const auto& [name, counter] : run.counters) s.counters[name] = counter.value;
    r.samples.push_back(std::move(s));
    return r;
  }

  const std::map<std::string, const suites::BenchmarkSpec*>& specs_;
  const SampleSink& sink_;
  Progress& progress_;
  int round_ = 0;
};

void InitializeBenchmarkLibrary(double min_time_s) {
  std::vector<std::string> args = {"perfkit", "--benchmark_repetitions=1",
                                   "--benchmark_min_time=" + std::to_string(min_time_s),
                                   "--benchmark_enable_random_interleaving=false"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());
}

// Google Benchmark calls a benchmark once per repetition to report, after
// shorter calls that size it; each call is counted whole, setup included,
// and the reported call's counts are the ones kept.
std::function<void(benchmark::State&)> WithCounters(const suites::BenchmarkSpec& b,
                                                    const Selection& selection) {
  if (!selection.counters && !selection.energy) return b.fn;
  return [fn = b.fn, counters = selection.counters,
          energy = selection.energy](benchmark::State& state) {
    if (energy) energy->Start();
    if (counters) counters->Start();
    fn(state);
    if (counters) counters->Stop(state);
    if (energy) energy->Stop(state);
  };
}

// Whether a skipped engine ("crc32c/avx512: why") is one the filter
// selects: its name, or its name with a size the suite measures, matches.
// A note about engines the user filtered out is noise.
bool SkipMatches(const std::string& suite, const std::set<std::string>& sizes,
                 const std::string& skip, const std::regex& filter) {
  const std::string family = suite + "/" + skip.substr(0, skip.find(':'));
  if (std::regex_search(family, filter)) return true;
  for (const std::string& size : sizes) {
    if (std::regex_search(family + "/" + size, filter)) return true;
  }
  return false;
}

}  // namespace

Result<Selection> Select(const RunOptions& options) {
  Selection selection;
  std::regex filter;
  try {
    filter = std::regex(options.filter.empty() ? ".*" : options.filter);
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument("invalid --filter regex '" + options.filter + "': " + e.what());
  }
  if (!options.counters.empty()) {
    auto counters = CounterGroup::Open(options.counters);
    if (!counters.ok()) return Status::InvalidArgument(counters.error());
    selection.counters = std::move(counters).value();
  }
  if (options.energy) {
    auto meter = EnergyMeter::Open(options.energy_model, options.energy_model_validated);
    if (meter.ok()) {
      selection.energy = std::move(*meter);
      selection.energy_note = "energy: " + selection.energy->description();
    } else {
      selection.energy_note = "energy: not measured: " + meter.error();
    }
  }
  suites::SetQuickMode(options.quick);
  for (const suites::SuiteEntry* entry : options.suites) {
    suites::SuiteSpec spec = suites::MakeSuite(*entry);
    selection.suite_names.push_back(entry->name);
    std::set<std::string> sizes;
    for (const auto& b : spec.benchmarks) sizes.insert(b.name.substr(b.name.rfind('/') + 1));
    for (auto& s : spec.skipped) {
      if (options.filter.empty() || SkipMatches(spec.name, sizes, s, filter)) {
        selection.skipped.push_back(spec.name + "/" + s);
      }
    }
    for (auto& c : spec.claims) {
      selection.claims.push_back([c = std::move(c), suite = spec.name](
                                     const suites::Measured& m) -> std::optional<ClaimResult> {
        auto r = c(m);
        if (r) {
          r->suite = suite;
          r->id = suite + "/" + r->id;
        }
        return r;
      });
    }
    for (auto& b : spec.benchmarks) {
      if (!std::regex_search(b.name, filter)) continue;
      b.suite = entry->name;
      selection.benchmarks.push_back(std::move(b));
    }
  }
  if (selection.benchmarks.empty()) {
    std::string names;
    for (const auto& n : selection.suite_names) names += (names.empty() ? "" : ", ") + n;
    return Status::InvalidArgument("--filter '" + options.filter +
                                   "' matches no benchmark of suite(s) " + names +
                                   " (see 'perfkit list')");
  }
  return selection;
}

bool Run(const Selection& selection, const RunOptions& options, const SampleSink& on_sample,
         const NextRound& next_round) {
  InitializeBenchmarkLibrary(options.min_time_s);
  std::map<std::string, const suites::BenchmarkSpec*> specs;
  for (const auto& b : selection.benchmarks) specs[b.name] = &b;
  std::vector<const suites::BenchmarkSpec*> order;
  for (const auto& b : selection.benchmarks) order.push_back(&b);
  std::mt19937 rng(options.seed != 0 ? options.seed : std::random_device{}());

  Progress progress(options.progress, order.size(), options.repetitions);
  CaptureReporter reporter(specs, on_sample, progress);
  for (int round = 0; round < options.repetitions; ++round) {
    if (InterruptRequested()) return false;
    if (next_round && round > 0) {
      order.clear();
      for (const std::string& name : next_round(round)) {
        if (auto it = specs.find(name); it != specs.end()) order.push_back(it->second);
      }
      if (order.empty()) break;
    }
    if (options.interleave) std::shuffle(order.begin(), order.end(), rng);
    benchmark::ClearRegisteredBenchmarks();
    for (const auto* b : order) {
      auto* registered = benchmark::RegisterBenchmark(b->name.c_str(), WithCounters(*b, selection));
      if (b->manual_time) registered->UseManualTime();
      if (b->real_time) registered->UseRealTime();
      if (b->iterations > 0) registered->Iterations(b->iterations);
    }
    reporter.set_round(round);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  }
  benchmark::ClearRegisteredBenchmarks();
  return !InterruptRequested();
}

std::string BenchmarkLibraryBuildType() {
  // JSONReporter writes "library_build_type" from the library's own NDEBUG.
  benchmark::JSONReporter reporter;
  std::ostringstream out;
  reporter.SetOutputStream(&out);
  reporter.SetErrorStream(&out);
  reporter.ReportContext(benchmark::BenchmarkReporter::Context());
  const std::string text = out.str();
  const std::string key = "\"library_build_type\": \"";
  const size_t pos = text.find(key);
  if (pos == std::string::npos) return "unknown";
  const size_t start = pos + key.size();
  return text.substr(start, text.find('"', start) - start);
}

}  // namespace perfkit::harness
