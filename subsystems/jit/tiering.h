// The "JIT for hot paths" manager: programs are keyed by a hash of their
// bytecode, verified once, interpreted until they have been called
// `threshold` times, then compiled (on the caller's thread or a background
// one, interpreting meanwhile) and run natively from a cache.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "subsystems/jit/jit.h"
#include "subsystems/jit/vm.h"

namespace perfkit::jit {

struct TieringOptions {
  uint64_t threshold = 100;  // interpreted calls before compiling
  bool background = false;   // compile on a separate thread
};

struct TieringStats {
  uint64_t calls = 0;
  uint64_t interpreted_calls = 0;
  uint64_t compiled_calls = 0;
  uint64_t compilations = 0;
  uint64_t compile_failures = 0;  // programs that stay interpreted, and why:
  std::string last_compile_error;
  double compile_seconds = 0;
  uint64_t cache_hits = 0;    // lookups that found the program already verified
  uint64_t cache_misses = 0;  // lookups that brought a program not seen before
};

uint64_t HashProgram(const Program& program);

// Safe to call from several threads.
class TieredVm {
 public:
  class Entry;
  using ProgramId = Entry*;

  explicit TieredVm(const HelperTable& helpers, TieringOptions options = {});
  ~TieredVm();
  TieredVm(const TieredVm&) = delete;
  TieredVm& operator=(const TieredVm&) = delete;

  // Finds a program by its bytecode, verifying it the first time it is seen;
  // a rejected program fails with the verifier's message. The id stays valid
  // for the VM's lifetime.
  Result<ProgramId> Load(const Program& program);
  Result<uint64_t> Run(ProgramId id, Memory memory, const RunOptions& run = {});
  // Load + Run: hashes the bytecode on every call.
  Result<uint64_t> Run(const Program& program, Memory memory, const RunOptions& run = {});

  TieringStats stats() const;

 private:
  void CompileInto(Entry& entry);

  const HelperTable& helpers_;
  const TieringOptions options_;
  mutable std::mutex mu_;  // the cache, compile statistics
  std::unordered_map<uint64_t, std::vector<std::unique_ptr<Entry>>> cache_;
  uint64_t cache_hits_ = 0;
  uint64_t cache_misses_ = 0;
  uint64_t compilations_ = 0;
  uint64_t compile_failures_ = 0;
  std::string last_compile_error_;
  double compile_seconds_ = 0;
};

class TieredVm::Entry {
 public:
  Program program;
  Status verified;
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> interpreted_calls{0};
  std::atomic<bool> compile_started{false};
  std::atomic<const CompiledProgram*> code{nullptr};  // owned by `owned_code`
  std::unique_ptr<CompiledProgram> owned_code;
  std::future<void> pending;
};

}  // namespace perfkit::jit
