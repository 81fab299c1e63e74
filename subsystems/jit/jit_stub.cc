#include "subsystems/jit/jit.h"

namespace perfkit::jit {

const char* JitUnavailableReason() {
  return "the JIT emits x86-64 only; this build is for another CPU";
}

Result<std::unique_ptr<CompiledProgram>> Compile(const Program&, const HelperTable&) {
  return Status::Error(std::string("jit: ") + JitUnavailableReason());
}

}  // namespace perfkit::jit
