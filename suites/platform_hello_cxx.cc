// The platform suite's start-up floor for a C++ program: it links what every
// program built like perfkit links (libstdc++, libm, libgcc_s, libc, as a
// position-independent executable) and prints its name, as `perfkit
// --version` prints a line. What `perfkit --version` takes beyond this is
// perfkit's own; what this takes beyond /bin/true is the C++ runtime's.
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  const std::string line = std::string(argc > 0 ? argv[0] : "perfkit-hello-cxx") + "\n";
  return std::fputs(line.c_str(), stdout) < 0;
}
