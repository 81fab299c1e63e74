// The "JIT for hot paths" manager: programs are keyed by a hash of their
// bytecode, verified once, interpreted until they have been called
// `threshold` times, then compiled (on the caller's thread or a background
// one, interpreting meanwhile) and run natively from a cache.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "subsystems/jit/jit.h"
#include "subsystems/jit/vm.h"

namespace perfkit::jit {

struct TieringOptions {
  uint64_t threshold = 100;
  bool background = false;  // compile on a separate thread
};

struct TieringStats {
  uint64_t calls = 0;
  uint64_t interpreted_calls = 0;
  uint64_t compiled_calls = 0;
  uint64_t compilations = 0;
  double compile_seconds = 0;
  uint64_t cache_hits = 0;    // calls that found their program already verified
  uint64_t cache_misses = 0;  // calls that brought a program not seen before
};

uint64_t HashProgram(const Program& program);

class TieredVm {
 public:
  explicit TieredVm(const HelperTable& helpers, TieringOptions options = {});
  ~TieredVm();
  TieredVm(const TieredVm&) = delete;
  TieredVm& operator=(const TieredVm&) = delete;

  // Verifies a program the first time it is seen; a rejected program fails
  // every call with the verifier's message.
  Result<uint64_t> Run(const Program& program, Memory memory, const RunOptions& run = {});
  TieringStats stats() const;

 private:
  struct Entry {
    Program program;
    Status verified;
    uint64_t calls = 0;
    std::shared_ptr<const CompiledProgram> code;
    std::future<void> pending;
    bool jit_failed = false;
  };
  Entry& Lookup(const Program& program);
  void CompileInto(Entry& entry);

  const HelperTable& helpers_;
  const TieringOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::vector<std::unique_ptr<Entry>>> cache_;
  TieringStats stats_;
};

}  // namespace perfkit::jit
