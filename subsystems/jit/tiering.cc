#include "subsystems/jit/tiering.h"

#include <chrono>
#include <cstring>

#include "subsystems/jit/verifier.h"

namespace perfkit::jit {

uint64_t HashProgram(const Program& program) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  const auto* bytes = reinterpret_cast<const uint8_t*>(program.data());
  for (size_t i = 0; i < program.size() * sizeof(Insn); ++i) {
    h = (h ^ bytes[i]) * 0x100000001b3ull;
  }
  return h;
}

TieredVm::TieredVm(const HelperTable& helpers, TieringOptions options)
    : helpers_(helpers), options_(options) {}

TieredVm::~TieredVm() {
  for (auto& [hash, entries] : cache_) {
    for (auto& e : entries) {
      if (e->pending.valid()) e->pending.wait();
    }
  }
}

TieredVm::Entry& TieredVm::Lookup(const Program& program) {
  auto& bucket = cache_[HashProgram(program)];
  for (auto& e : bucket) {
    if (e->program.size() == program.size() &&
        std::memcmp(e->program.data(), program.data(), program.size() * sizeof(Insn)) == 0) {
      ++stats_.cache_hits;
      return *e;
    }
  }
  ++stats_.cache_misses;
  auto e = std::make_unique<Entry>();
  e->program = program;
  e->verified = Verify(program, helpers_);
  bucket.push_back(std::move(e));
  return *bucket.back();
}

// Called without the lock; publishes the code under it.
void TieredVm::CompileInto(Entry& entry) {
  const auto start = std::chrono::steady_clock::now();
  auto code = Compile(entry.program, helpers_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(mu_);
  ++stats_.compilations;
  stats_.compile_seconds += seconds;
  if (code.ok()) {
    entry.code = std::move(code).value();
  } else {
    entry.jit_failed = true;  // e.g. another CPU: stay on the interpreter
  }
}

Result<uint64_t> TieredVm::Run(const Program& program, Memory memory, const RunOptions& run) {
  std::shared_ptr<const CompiledProgram> code;
  Entry* entry;
  bool compile_now = false;
  {
    std::lock_guard lock(mu_);
    entry = &Lookup(program);
    ++stats_.calls;
    if (!entry->verified.ok()) return entry->verified;
    ++entry->calls;
    code = entry->code;
    if (!code && !entry->jit_failed && !entry->pending.valid() &&
        entry->calls > options_.threshold) {
      if (options_.background) {
        entry->pending = std::async(std::launch::async, [this, entry] { CompileInto(*entry); });
      } else {
        compile_now = true;
      }
    }
    if (code) {
      ++stats_.compiled_calls;
    } else if (!compile_now) {
      ++stats_.interpreted_calls;
    }
  }
  if (compile_now) {
    CompileInto(*entry);
    std::lock_guard lock(mu_);
    code = entry->code;
    ++(code ? stats_.compiled_calls : stats_.interpreted_calls);
  }
  return code ? code->Run(memory, run) : Interpret(entry->program, helpers_, memory, run);
}

TieringStats TieredVm::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace perfkit::jit
