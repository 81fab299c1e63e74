// The eBPF instruction set as RFC 9669 defines it: the 8-byte instruction
// and the opcode fields every part of the VM decodes.
#pragma once

#include <cstdint>
#include <vector>

namespace perfkit::jit {

struct Insn {
  uint8_t opcode;
  uint8_t dst : 4;
  uint8_t src : 4;
  int16_t offset;
  int32_t imm;
};
static_assert(sizeof(Insn) == 8);

using Program = std::vector<Insn>;

inline constexpr int kNumRegisters = 11;  // r0..r10; r10 is the read-only frame pointer
inline constexpr int kStackBytes = 512;   // per call frame
inline constexpr int kMaxCallDepth = 8;

// Instruction classes (the low three bits).
inline constexpr uint8_t kLd = 0x00;
inline constexpr uint8_t kLdx = 0x01;
inline constexpr uint8_t kSt = 0x02;
inline constexpr uint8_t kStx = 0x03;
inline constexpr uint8_t kAlu = 0x04;
inline constexpr uint8_t kJmp = 0x05;
inline constexpr uint8_t kJmp32 = 0x06;
inline constexpr uint8_t kAlu64 = 0x07;

// Arithmetic and jump instructions: source (bit 3) and operation (bits 4-7).
inline constexpr uint8_t kK = 0x00;
inline constexpr uint8_t kX = 0x08;

inline constexpr uint8_t kAdd = 0x00;
inline constexpr uint8_t kSub = 0x10;
inline constexpr uint8_t kMul = 0x20;
inline constexpr uint8_t kDiv = 0x30;
inline constexpr uint8_t kOr = 0x40;
inline constexpr uint8_t kAnd = 0x50;
inline constexpr uint8_t kLsh = 0x60;
inline constexpr uint8_t kRsh = 0x70;
inline constexpr uint8_t kNeg = 0x80;
inline constexpr uint8_t kMod = 0x90;
inline constexpr uint8_t kXor = 0xa0;
inline constexpr uint8_t kMov = 0xb0;
inline constexpr uint8_t kArsh = 0xc0;
inline constexpr uint8_t kEnd = 0xd0;

inline constexpr uint8_t kJa = 0x00;
inline constexpr uint8_t kJeq = 0x10;
inline constexpr uint8_t kJgt = 0x20;
inline constexpr uint8_t kJge = 0x30;
inline constexpr uint8_t kJset = 0x40;
inline constexpr uint8_t kJne = 0x50;
inline constexpr uint8_t kJsgt = 0x60;
inline constexpr uint8_t kJsge = 0x70;
inline constexpr uint8_t kCall = 0x80;
inline constexpr uint8_t kExit = 0x90;
inline constexpr uint8_t kJlt = 0xa0;
inline constexpr uint8_t kJle = 0xb0;
inline constexpr uint8_t kJslt = 0xc0;
inline constexpr uint8_t kJsle = 0xd0;

// Load and store instructions: size (bits 3-4) and mode (bits 5-7).
inline constexpr uint8_t kW = 0x00;
inline constexpr uint8_t kH = 0x08;
inline constexpr uint8_t kB = 0x10;
inline constexpr uint8_t kDW = 0x18;
inline constexpr uint8_t kImm = 0x00;
inline constexpr uint8_t kMem = 0x60;
inline constexpr uint8_t kMemSx = 0x80;
inline constexpr uint8_t kAtomic = 0xc0;

// Atomic operations, in imm.
inline constexpr int32_t kFetch = 0x01;
inline constexpr int32_t kXchg = 0xe0 | kFetch;
inline constexpr int32_t kCmpXchg = 0xf0 | kFetch;

// call's src field.
inline constexpr uint8_t kCallHelper = 0;
inline constexpr uint8_t kCallLocal = 1;
inline constexpr uint8_t kCallRuntime = 2;

constexpr uint8_t ClassOf(uint8_t opcode) { return opcode & 0x07; }
constexpr uint8_t OpOf(uint8_t opcode) { return opcode & 0xf0; }
constexpr uint8_t SourceOf(uint8_t opcode) { return opcode & 0x08; }
constexpr uint8_t SizeOf(uint8_t opcode) { return opcode & 0x18; }
constexpr uint8_t ModeOf(uint8_t opcode) { return opcode & 0xe0; }
constexpr int SizeBytes(uint8_t opcode) {
  switch (SizeOf(opcode)) {
    case kB:
      return 1;
    case kH:
      return 2;
    case kW:
      return 4;
    default:
      return 8;
  }
}

inline constexpr uint8_t kLddw = kLd | kImm | kDW;  // 0x18, two slots

// How far a jump or call goes, in instructions after the next one: ja32 and
// call keep it in imm, every other jump in offset.
constexpr int64_t JumpOffset(const Insn& in) {
  return in.opcode == (kJmp32 | kJa) || OpOf(in.opcode) == kCall ? in.imm : in.offset;
}

}  // namespace perfkit::jit
