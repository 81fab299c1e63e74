#include "suites/jit_programs.h"

#include <cstring>

namespace perfkit::suites {
namespace {

// r0 = r0 * 31 + i for i < 1000: a multiply keeps the compiler from
// replacing the native loop with a closed form.
constexpr char kLoop[] = R"(
  mov %r0, 0
  mov %r2, 0
loop:
  mul %r0, 31
  add %r0, %r2
  add %r2, 1
  jlt %r2, 1000, loop
  exit
)";
uint64_t NativeLoop(uint8_t*, uint64_t) {
  uint64_t h = 0;
  for (uint64_t i = 0; i < 1000; ++i) h = h * 31 + i;
  return h;
}

constexpr char kFnv[] = R"(
  lddw %r0, 0xcbf29ce484222325
  lddw %r3, 0x100000001b3
  mov %r4, %r1
  mov %r5, %r1
  add %r5, %r2
loop:
  ldxb %r6, [%r4]
  xor %r0, %r6
  mul %r0, %r3
  add %r4, 1
  jlt %r4, %r5, loop
  exit
)";
uint64_t NativeFnv(uint8_t* mem, uint64_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < size; ++i) h = (h ^ mem[i]) * 0x100000001b3ull;
  return h;
}
std::vector<uint8_t> FnvInput() {
  std::vector<uint8_t> m(4096);
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<uint8_t>(i * 131 + 7);
  return m;
}

// Accept IPv4/TCP to port 80: ethertype at 12, protocol at 23, IHL at 14,
// destination port 2 bytes into the TCP header. Written in the subset DPDK's
// validator follows (pointer + scalar, never scalar + pointer; no jmp32).
constexpr char kFilter[] = R"(
  ldxh %r2, [%r1+12]
  be16 %r2
  jne %r2, 0x0800, drop
  ldxb %r2, [%r1+23]
  jne %r2, 6, drop
  ldxb %r3, [%r1+14]
  and %r3, 0xf
  lsh %r3, 2
  mov %r4, %r1
  add %r4, %r3
  ldxh %r4, [%r4+16]
  be16 %r4
  jne %r4, 80, drop
  mov %r0, 1
  exit
drop:
  mov %r0, 0
  exit
)";
uint64_t NativeFilter(uint8_t* p, uint64_t) {
  auto be16 = [](const uint8_t* q) { return static_cast<uint16_t>(q[0] << 8 | q[1]); };
  if (be16(p + 12) != 0x0800 || p[23] != 6) return 0;
  const size_t tcp = 14 + (p[14] & 0xf) * 4;
  return be16(p + tcp + 2) == 80 ? 1 : 0;
}
std::vector<uint8_t> Packet() {
  std::vector<uint8_t> p(128, 0);
  p[12] = 0x08;   // IPv4
  p[14] = 0x45;   // version 4, IHL 5
  p[23] = 6;      // TCP
  p[34 + 2] = 0;  // destination port 80
  p[34 + 3] = 80;
  return p;
}

// A seccomp-style allow list over struct { u32 nr; u32 arch; }: the syscall
// asked for (exit_group, 231) sits near the end of the chain.
constexpr char kSeccomp[] = R"(
  ldxw %r2, [%r1+4]
  lddw %r3, 0xc000003e
  jne %r2, %r3, kill
  ldxw %r2, [%r1]
  jeq %r2, 0, allow
  jeq %r2, 1, allow
  jeq %r2, 2, allow
  jeq %r2, 3, allow
  jeq %r2, 5, allow
  jeq %r2, 8, allow
  jeq %r2, 9, allow
  jeq %r2, 10, allow
  jeq %r2, 11, allow
  jeq %r2, 12, allow
  jeq %r2, 13, allow
  jeq %r2, 14, allow
  jeq %r2, 39, allow
  jeq %r2, 59, deny
  jeq %r2, 60, allow
  jeq %r2, 202, allow
  jeq %r2, 228, allow
  jeq %r2, 231, allow
  jeq %r2, 257, allow
kill:
  mov32 %r0, 0
  exit
deny:
  mov32 %r0, 0x50001
  exit
allow:
  mov32 %r0, 0x7fff0000
  exit
)";
uint64_t NativeSeccomp(uint8_t* m, uint64_t) {
  uint32_t nr, arch;
  std::memcpy(&nr, m, 4);
  std::memcpy(&arch, m + 4, 4);
  if (arch != 0xc000003e) return 0;
  switch (nr) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 5:
    case 8:
    case 9:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 39:
    case 60:
    case 202:
    case 228:
    case 231:
    case 257:
      return 0x7fff0000;
    case 59:
      return 0x50001;
    default:
      return 0;
  }
}
std::vector<uint8_t> SeccompInput() {
  std::vector<uint8_t> m(16, 0);
  const uint32_t nr = 231, arch = 0xc000003e;
  std::memcpy(m.data(), &nr, 4);
  std::memcpy(m.data() + 4, &arch, 4);
  return m;
}

// Counts the primes below 1024 in a byte-per-number sieve kept in memory.
constexpr char kSieve[] = R"(
  mov %r2, 0
clear:
  mov %r3, %r1
  add %r3, %r2
  stb [%r3], 0
  add %r2, 1
  jlt %r2, 1024, clear
  mov %r0, 0
  mov %r2, 2
outer:
  mov %r3, %r1
  add %r3, %r2
  ldxb %r4, [%r3]
  jne %r4, 0, next
  add %r0, 1
  mov %r5, %r2
  mul %r5, %r2
inner:
  jge %r5, 1024, next
  mov %r3, %r1
  add %r3, %r5
  stb [%r3], 1
  add %r5, %r2
  ja inner
next:
  add %r2, 1
  jlt %r2, 1024, outer
  exit
)";
uint64_t NativeSieve(uint8_t* m, uint64_t) {
  std::memset(m, 0, 1024);
  uint64_t primes = 0;
  for (uint64_t i = 2; i < 1024; ++i) {
    if (m[i]) continue;
    ++primes;
    for (uint64_t j = i * i; j < 1024; j += i) m[j] = 1;
  }
  return primes;
}
std::vector<uint8_t> SieveMemory() { return std::vector<uint8_t>(1024); }
std::vector<uint8_t> NoMemory() { return {}; }

}  // namespace

const std::vector<JitWorkload>& JitWorkloads() {
  static const std::vector<JitWorkload> workloads = {
      {"loop", "a counted loop of 1000 multiply-adds", kLoop, &NoMemory, &NativeLoop},
      {"fnv1a", "FNV-1a over 4 KiB", kFnv, &FnvInput, &NativeFnv},
      {"filter", "Ethernet/IPv4/TCP destination-port match on a 128-byte packet", kFilter, &Packet,
       &NativeFilter},
      {"seccomp", "a 20-entry syscall allow list, matched near its end", kSeccomp, &SeccompInput,
       &NativeSeccomp},
      {"sieve", "the primes below 1024 (a byte sieve in memory)", kSieve, &SieveMemory,
       &NativeSieve},
  };
  return workloads;
}

}  // namespace perfkit::suites
