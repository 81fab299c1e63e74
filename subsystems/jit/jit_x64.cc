// Compiled programs and the two ways to call them: Run() and Invocation.
#include "subsystems/jit/jit_x64_emitter.h"
#include "subsystems/jit/ranges.h"

namespace perfkit::jit {
namespace {

using x64::Context;
using x64::Emitter;
using x64::Limit;

void InitContext(Context& ctx, Memory memory, const RunOptions& options) {
  ctx.mem_lo = reinterpret_cast<uintptr_t>(memory.data);
  ctx.mem_size = memory.size;
  ctx.stack_top =
      reinterpret_cast<uintptr_t>(options.stack != nullptr ? options.stack : ctx.stack) +
      kStackRegionBytes;
  ctx.stack_lo = ctx.stack_top - kStackBytes;  // the code zeroes the frame
  ctx.budget = options.work_budget;
  ctx.depth = 0;
  ctx.fault = 0;
  for (int n : {1, 2, 4, 8}) {
    ctx.mem_limit[n] = Limit(memory.size, n);
    ctx.stack_limit[n] = Limit(kStackBytes, n);
  }
}

Status FaultOf(const Context& ctx) {
  return Status::Error(DescribeFault(static_cast<Fault>(ctx.fault), ctx.fault_pc, ctx.fault_address,
                                     static_cast<int>(ctx.fault_bytes),
                                     {ctx.mem_lo, ctx.mem_size, ctx.stack_top}));
}

// Two copies of the code when the range analysis proved something: one
// with every check, and one without the memory checks proven needless for
// memory of at least `min_memory` bytes and, when no run can spend more
// than `max_work` of its budget, without the budget's charges; the second
// runs only where both hold.
class X64Program : public CompiledProgram {
 public:
  X64Program(std::unique_ptr<Emitter> checked, std::unique_ptr<Emitter> proven, size_t min_memory,
             uint64_t max_work)
      : checked_(std::move(checked)),
        proven_(std::move(proven)),
        min_memory_(min_memory),
        max_work_(max_work) {}
  Result<uint64_t> Run(Memory memory, const RunOptions& options) const override {
    Context ctx;
    InitContext(ctx, memory, options);
    const uint64_t r0 = entry(memory.size, options.work_budget)(&ctx);
    if (ctx.fault != 0) return FaultOf(ctx);
    return r0;
  }
  size_t code_bytes() const override {
    return checked_->getSize() + (proven_ ? proven_->getSize() : 0);
  }
  Entry entry(size_t memory_bytes, uint64_t work_budget) const override {
    const bool proven = proven_ && memory_bytes >= min_memory_ &&
                        (max_work_ == kUnbounded || work_budget >= max_work_);
    return (proven ? *proven_ : *checked_).getCode<Entry>();
  }

 private:
  std::unique_ptr<Emitter> checked_;
  std::unique_ptr<Emitter> proven_;
  size_t min_memory_;
  uint64_t max_work_;
};

Result<std::unique_ptr<Emitter>> Emit(const Program& program, const HelperTable& helpers,
                                      const std::vector<bool>* unchecked, bool count_work) {
  // What an instruction needs varies a lot (a local call zeroes a whole
  // frame inline): start from a typical size and double until it fits.
  constexpr size_t kMaxCodeBytes = size_t{1} << 30;
  for (size_t bytes = program.size() * 160 + 4096;; bytes *= 2) {
    try {
      auto code = std::make_unique<Emitter>(program, helpers, bytes, unchecked, count_work);
      code->Build();
      code->ready();             // every label defined
      code->setProtectModeRE();  // written, now read+execute: never writable and executable
      return code;
    } catch (const Xbyak::Error& e) {
      if (static_cast<int>(e) != Xbyak::ERR_CODE_IS_TOO_BIG || bytes >= kMaxCodeBytes) {
        return Status::Error(std::string("jit: ") + e.what());
      }
    }
  }
}

}  // namespace

Invocation::Invocation(const CompiledProgram& program, Memory memory, const RunOptions& options)
    : entry_(program.entry(memory.size, options.work_budget)), context_(new Context) {
  InitContext(*static_cast<Context*>(context_), memory, options);
}

Invocation::~Invocation() { delete static_cast<Context*>(context_); }

bool Invocation::faulted() const { return static_cast<const Context*>(context_)->fault != 0; }

Status Invocation::FaultStatus() const {
  const auto& ctx = *static_cast<const Context*>(context_);
  return ctx.fault == 0 ? Status() : FaultOf(ctx);
}

const char* JitUnavailableReason() { return ""; }

Result<std::unique_ptr<CompiledProgram>> Compile(const Program& program,
                                                 const HelperTable& helpers) {
  auto checked = Emit(program, helpers, nullptr, true);
  if (!checked.ok()) return checked.status();
  const ProvenAccesses proven = ProveAccesses(program);
  const uint64_t max_work = MaxWork(program);
  std::unique_ptr<Emitter> fast;
  if (proven.min_memory > 0 || max_work != kUnbounded) {
    auto code = Emit(program, helpers, proven.min_memory > 0 ? &proven.in_bounds : nullptr,
                     max_work == kUnbounded);
    if (!code.ok()) return code.status();
    fast = std::move(*code);
  }
  return std::unique_ptr<CompiledProgram>(
      new X64Program(std::move(*checked), std::move(fast), proven.min_memory, max_work));
}

}  // namespace perfkit::jit
