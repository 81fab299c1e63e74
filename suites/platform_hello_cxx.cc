// The platform suite's start-up floor for a C++ program: it is linked as
// perfkit is (a position-independent executable loading libstdc++, Google
// Benchmark and fmt, which Debian ships only as shared libraries, beside
// libm, libgcc_s and libc) and prints its name, as `perfkit --version`
// prints a line. What `perfkit --version` takes beyond this is perfkit's
// own; what this takes beyond /bin/true is those libraries' loading.
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  const std::string line = std::string(argc > 0 ? argv[0] : "perfkit-hello-cxx") + "\n";
  return std::fputs(line.c_str(), stdout) < 0;
}
