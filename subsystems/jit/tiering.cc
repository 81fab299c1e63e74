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

Result<TieredVm::ProgramId> TieredVm::Load(const Program& program) {
  const uint64_t hash = HashProgram(program);
  std::lock_guard lock(mu_);
  auto& bucket = cache_[hash];
  Entry* entry = nullptr;
  for (auto& e : bucket) {
    if (e->program.size() == program.size() &&
        std::memcmp(e->program.data(), program.data(), program.size() * sizeof(Insn)) == 0) {
      entry = e.get();
    }
  }
  if (entry != nullptr) {
    ++cache_hits_;
  } else {
    ++cache_misses_;
    bucket.push_back(std::make_unique<Entry>());
    entry = bucket.back().get();
    entry->program = program;
    entry->verified = Verify(program, helpers_);
  }
  if (!entry->verified.ok()) return entry->verified;
  return entry;
}

void TieredVm::CompileInto(Entry& entry) {
  const auto start = std::chrono::steady_clock::now();
  auto code = Compile(entry.program, helpers_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  {
    std::lock_guard lock(mu_);
    ++compilations_;
    compile_seconds_ += seconds;
    if (!code.ok()) {
      ++compile_failures_;
      last_compile_error_ = code.error();
    }
  }
  // On failure (no JIT for this CPU, or the compiler refused) the program
  // stays on the interpreter, and stats() says so.
  if (code.ok()) {
    entry.owned_code = std::move(code).value();
    entry.code.store(entry.owned_code.get(), std::memory_order_release);
  }
}

Result<uint64_t> TieredVm::Run(ProgramId id, Memory memory, const RunOptions& run) {
  Entry& e = *id;
  const uint64_t n = e.calls.fetch_add(1, std::memory_order_relaxed) + 1;
  if (const CompiledProgram* code = e.code.load(std::memory_order_acquire)) {
    return code->Run(memory, run);
  }
  if (n > options_.threshold && !e.compile_started.exchange(true)) {
    if (options_.background) {
      e.pending = std::async(std::launch::async, [this, &e] { CompileInto(e); });
    } else {
      CompileInto(e);
      if (const CompiledProgram* code = e.code.load(std::memory_order_acquire)) {
        return code->Run(memory, run);
      }
    }
  }
  e.interpreted_calls.fetch_add(1, std::memory_order_relaxed);
  return Interpret(e.program, helpers_, memory, run);
}

Result<uint64_t> TieredVm::Run(const Program& program, Memory memory, const RunOptions& run) {
  auto id = Load(program);
  if (!id.ok()) return id.status();
  return Run(*id, memory, run);
}

TieringStats TieredVm::stats() const {
  std::lock_guard lock(mu_);
  TieringStats s;
  s.cache_hits = cache_hits_;
  s.cache_misses = cache_misses_;
  s.compilations = compilations_;
  s.compile_failures = compile_failures_;
  s.last_compile_error = last_compile_error_;
  s.compile_seconds = compile_seconds_;
  for (const auto& [hash, entries] : cache_) {
    for (const auto& e : entries) {
      const uint64_t calls = e->calls.load(std::memory_order_relaxed);
      const uint64_t interpreted = e->interpreted_calls.load(std::memory_order_relaxed);
      s.calls += calls;
      s.interpreted_calls += interpreted;
      s.compiled_calls += calls - interpreted;
    }
  }
  return s;
}

}  // namespace perfkit::jit
