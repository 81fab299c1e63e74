// libFuzzer target: random bytes as an eBPF program. Whatever the verifier
// accepts must run in both engines without crashing and agree on r0, on the
// fault (if any) and on every byte of memory. Built with clang when
// PERFKIT_FUZZ=ON; the same function replays the corpus under ctest.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "subsystems/jit/jit.h"
#include "subsystems/jit/verifier.h"
#include "subsystems/jit/vm.h"

namespace {

void Mismatch(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "jit_fuzz: engines disagree on %s: interpreter '%s', jit '%s'\n", what,
               a.c_str(), b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace perfkit::jit;
  const size_t n = std::min<size_t>(size / sizeof(Insn), 512);
  if (n == 0) return 0;
  Program program(n);
  std::memcpy(program.data(), data, n * sizeof(Insn));
  const HelperTable& helpers = StandardHelpers();
  if (!Verify(program, helpers).ok()) return 0;
  RunOptions options;
  options.work_budget = 100000;  // hostile loops stop quickly
  alignas(16) static uint8_t stack[kStackRegionBytes];
  options.stack = stack;  // the same r10 in both engines
  std::vector<uint8_t> mem(64), initial(64);
  for (size_t i = 0; i < mem.size(); ++i) mem[i] = initial[i] = static_cast<uint8_t>(i);
  auto interp = Interpret(program, helpers, {mem.data(), mem.size()}, options);
  const std::vector<uint8_t> after_interp = mem;
  mem = initial;
  auto code = Compile(program, helpers);
  if (!code.ok()) {
    if (*JitUnavailableReason() != '\0') return 0;
    Mismatch("compilation", "verified", code.error());
  }
  auto native = (*code)->Run({mem.data(), mem.size()}, options);
  if (interp.ok() != native.ok()) {
    Mismatch("success", interp.ok() ? "ok" : interp.error(), native.ok() ? "ok" : native.error());
  }
  if (interp.ok() && *interp != *native) {
    Mismatch("r0", std::to_string(*interp), std::to_string(*native));
  }
  if (!interp.ok() && interp.error() != native.error()) {
    Mismatch("the fault", interp.error(), native.error());
  }
  if (after_interp != mem) Mismatch("memory", "", "");
  return 0;
}
