// Text <-> bytecode in the eBPF assembly syntax the conformance suites use:
// `mov32 %r0, 0`, `stxw [%r1+2], %r2`, `lddw %r0, 0x1122334455667788`,
// `ja +3`, `jeq %r1, 5, done`, `call local func`, `lock fetch add [%r1], %r2`,
// labels (`done:`), comments from `#`. Registers may omit the `%`.
#pragma once

#include <string>
#include <string_view>

#include "subsystems/base/status.h"
#include "subsystems/jit/isa.h"

namespace perfkit::jit {

// Errors name the line: "line 3: unknown mnemonic 'mvo'".
Result<Program> Assemble(std::string_view text);

// One instruction per line (lddw takes its two slots); jump targets as
// relative offsets, so Assemble(Disassemble(p)) == p for any verified p.
std::string Disassemble(const Program& program);
std::string DisassembleOne(const Insn* insn);

// The raw form: instructions as little-endian bytes written in hex, with any
// whitespace between bytes (what bpf_conformance hands its plugins).
Result<Program> ParseHexProgram(std::string_view hex);
Result<std::vector<uint8_t>> ParseHexBytes(std::string_view hex);

}  // namespace perfkit::jit
