/* The platform suite's cold-start target: a static program with no C
   runtime whose first instruction writes one byte to descriptor 3 (the
   moment it runs) and exits. */
void _start(void) {
#if defined(__x86_64__)
  __asm__ volatile(
      "mov $1, %%eax\n" /* write(3, "x", 1) */
      "mov $3, %%edi\n"
      "lea 1f(%%rip), %%rsi\n"
      "mov $1, %%edx\n"
      "syscall\n"
      "mov $60, %%eax\n" /* exit(0) */
      "xor %%edi, %%edi\n"
      "syscall\n"
      "1: .byte 'x'\n"
      :
      :
      : "rax", "rdi", "rsi", "rdx", "rcx", "r11", "memory");
#elif defined(__aarch64__)
  __asm__ volatile(
      "mov x8, #64\n" /* write(3, "x", 1) */
      "mov x0, #3\n"
      "adr x1, 1f\n"
      "mov x2, #1\n"
      "svc #0\n"
      "mov x8, #93\n" /* exit(0) */
      "mov x0, #0\n"
      "svc #0\n"
      "1: .byte 'x'\n"
      :
      :
      : "x0", "x1", "x2", "x8", "memory");
#else
#error "perfkit-hello: add this architecture's write and exit system calls"
#endif
}
