// Test files in the format the eBPF conformance suites share (bpf_conformance,
// ubpf): sections `-- asm`, `-- mem` (hex bytes), `-- result` (r0) and
// `-- error` (the program must be rejected or stop with an error).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/jit/tiering.h"

namespace perfkit::jit {

struct DataTest {
  Program program;
  std::vector<uint8_t> memory;
  std::optional<uint64_t> result;
  std::optional<std::string> error;  // expected message; empty = any error
};

// Errors for files perfkit cannot run (maps, missing -- asm) and for bad text.
Result<DataTest> ParseDataTest(std::string_view text);

enum class Engine { kInterpreter, kJit, kTiered };
Result<Engine> ParseEngine(std::string_view name);  // interp, jit, tiered

// Verifies and runs `program` on `memory` (copied, so a test never sees an
// earlier run's writes) with one engine.
Result<uint64_t> RunProgram(const Program& program, std::vector<uint8_t> memory, Engine engine,
                            const HelperTable& helpers = StandardHelpers());

struct TestOutcome {
  bool passed;
  std::string detail;  // what happened when it did not pass, or the error when one was expected
  // When an error was expected with a message: whether ours contains it.
  // Messages differ between runtimes, so this alone does not fail a test.
  bool message_matches = true;
};
TestOutcome RunDataTest(const DataTest& test, Engine engine);

}  // namespace perfkit::jit
