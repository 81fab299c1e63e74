// Known loads for calibration and validation, run as threads of this
// process: duty-cycled spinners on every CPU, a memory streamer whose bytes
// are counted, and two workloads the model is not fitted on (an integer
// mix shaped like compression, in cache, and a pointer chase through
// memory).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace perfkit::power {

enum class LoadKind {
  kLadder,        // spinners at `cpu` on every CPU, a streamer at `mem`
  kIntegerMix,    // hashing and matching over 256 KiB per CPU at `cpu` duty
  kPointerChase,  // one thread chasing a random cycle through 256 MiB
};

struct LoadSpec {
  LoadKind kind = LoadKind::kLadder;
  double cpu = 0;  // duty of each CPU's thread, 0 to 1
  double mem = 0;  // duty of the streamer, 0 (none) to 1
  std::string Describe() const;
};

class Load {
 public:
  explicit Load(const LoadSpec& spec);
  ~Load();  // stops the threads
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  // Bytes moved to and from memory so far, as the loads count them: the
  // streamer's reads and writes, a cache line per hop of the chase; the
  // other loads stay in cache and count none.
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  void Spin(int cpu, double duty);
  void Stream(double duty);
  void Mix(int cpu, double duty);
  void Chase();

  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> bytes_{0};
  std::vector<std::thread> threads_;
};

}  // namespace perfkit::power
