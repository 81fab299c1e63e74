// The io suite: reading a file the suite writes first (fully, never
// sparse), 4 KiB at random offsets at queue depths 1, 8 and 32 and 1 MiB
// in order, by blocking pread, a pool of pread threads, Linux native AIO
// and io_uring (registered buffers, fixed file, batched submission; and
// with SQPOLL). O_DIRECT keeps the page cache out where the file system
// allows it; where it does not, reads after the first are memory copies
// and each result's label says "buffered". Each iteration is one batch of
// reads; p50_us and p99_us are per-read latencies, submission to completion.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "subsystems/aio/read_engines.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

using aio::EngineKind;

constexpr size_t kFileBytes = size_t{256} << 20;
constexpr size_t kRandomReads = 2048;  // per iteration
constexpr size_t kSequentialReads = 64;

// Where the test file goes: $PERFKIT_IO_DIR, else /var/tmp (disk, not
// tmpfs, on Debian), else the working directory.
std::string TestFilePath() {
  const char* env = std::getenv("PERFKIT_IO_DIR");
  std::string dir = env != nullptr && *env ? env : "/var/tmp";
  if (access(dir.c_str(), W_OK) != 0) dir = ".";
  return dir + "/perfkit-io-" + std::to_string(getpid()) + ".dat";
}

// The file, written once per process and removed when it exits.
struct TestFile {
  std::string path;
  aio::OpenedFile file;
  Status status;
  TestFile() : path(TestFilePath()) {
    status = aio::WriteTestFile(path, kFileBytes);
    if (!status.ok()) return;
    auto opened = aio::OpenForReading(path);
    if (!opened.ok()) {
      status = opened.status();
      return;
    }
    file = *opened;
    unlink(path.c_str());  // the open descriptor keeps it until the process ends
  }
};

const TestFile& File() {
  static const TestFile file;
  return file;
}

std::vector<uint64_t> Offsets(size_t block, bool random, size_t reads, uint64_t seed) {
  std::vector<uint64_t> offsets(reads);
  const uint64_t blocks = kFileBytes / block;
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < reads; ++i) offsets[i] = (random ? rng() % blocks : i % blocks) * block;
  return offsets;
}

void Read(benchmark::State& state, EngineKind kind, unsigned depth, size_t block, bool random) {
  if (StopRequested()) return;
  const TestFile& f = File();
  if (!f.status.ok()) {
    state.SkipWithError(f.status.message().c_str());
    return;
  }
  auto engine = aio::MakeEngine(kind, depth, block);
  if (!engine.ok()) {
    state.SkipWithError(engine.error().c_str());
    return;
  }
  aio::ReadPlan plan;
  plan.fd = f.file.fd;
  plan.block = block;
  std::vector<uint32_t> latencies;
  uint64_t seed = 1, bytes = 0, reads = 0;
  for (auto _ : state) {
    plan.offsets = Offsets(block, random, random ? kRandomReads : kSequentialReads, seed++);
    auto stats = (*engine)->Run(plan);
    if (!stats.ok()) {
      state.SkipWithError(stats.error().c_str());
      return;
    }
    bytes += stats->bytes;
    reads += plan.offsets.size();
    latencies.insert(latencies.end(), stats->latency_ns.begin(), stats->latency_ns.end());
  }
  state.SetLabel(f.file.direct ? "O_DIRECT" : "buffered: " + f.file.note);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(reads));
  state.counters["p50_us"] = aio::Percentile(latencies, 50) / 1000;
  state.counters["p99_us"] = aio::Percentile(latencies, 99) / 1000;
}

}  // namespace

SuiteSpec MakeIoSuite() {
  SuiteSpec suite{"io", "reading a file by pread, a thread pool, Linux AIO and io_uring", {}, {}};
  struct Engine {
    EngineKind kind;
    Role role;
  };
  const Engine engines[] = {{EngineKind::kPread, Role::kPeer},
                            {EngineKind::kThreadPool, Role::kPeer},
                            {EngineKind::kLinuxAio, Role::kPeer},
                            {EngineKind::kUring, Role::kOurs},
                            {EngineKind::kUringSqpoll, Role::kOurs}};
  auto wall = [](BenchmarkSpec spec) {
    spec.real_time = true;  // the time is the disk's and the other threads'
    return spec;
  };
  for (const Engine& e : engines) {
    const std::string name = aio::EngineName(e.kind);
    auto probe = aio::MakeEngine(e.kind, 1, 4096);
    if (!probe.ok()) {
      suite.skipped.push_back("io/" + name + ": " + probe.error());
      continue;
    }
    for (unsigned depth : {1u, 8u, 32u}) {
      if (e.kind == EngineKind::kPread && depth > 1) continue;  // one read at a time, always
      suite.benchmarks.push_back(
          wall({"io/randread-qd" + std::to_string(depth) + "/" + name + "/4096", e.role,
                [e, depth](benchmark::State& s) { Read(s, e.kind, depth, 4096, true); }}));
    }
    const unsigned depth = e.kind == EngineKind::kPread ? 1 : 4;
    suite.benchmarks.push_back(
        wall({"io/seqread-qd" + std::to_string(depth) + "/" + name + "/1048576", e.role,
              [e, depth](benchmark::State& s) { Read(s, e.kind, depth, 1 << 20, false); }}));
  }
  return suite;
}

}  // namespace perfkit::suites
