// perfkit-bpf-plugin: the plugin protocol of the bpf_conformance runner.
// stdin: the program as hex bytes; argv[1]: the memory as hex bytes (may be
// empty); then `--engine interp|jit` (as one argument or two). Prints r0 in
// hex on stdout; on a rejected or faulting program, the message on stderr
// and exit status 1.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "subsystems/jit/assembler.h"
#include "subsystems/jit/conformance.h"

namespace {

int Error(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace perfkit::jit;
  std::string memory_hex;
  std::vector<std::string> options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i == 1 && arg.rfind("--", 0) != 0) {
      memory_hex = arg;
      continue;
    }
    std::istringstream words(arg);  // the runner may pass "--engine jit" as one argument
    for (std::string w; words >> w;) options.push_back(w);
  }
  Engine engine = Engine::kInterpreter;
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i] == "--engine" && i + 1 < options.size()) {
      auto e = ParseEngine(options[++i]);
      if (!e.ok()) return Error(e.error());
      engine = *e;
    } else {
      return Error("unknown option '" + options[i] +
                   "' (usage: perfkit-bpf-plugin [MEMORY_HEX] [--engine interp|jit])");
    }
  }
  const std::string program_hex((std::istreambuf_iterator<char>(std::cin)),
                                std::istreambuf_iterator<char>());
  auto program = ParseHexProgram(program_hex);
  if (!program.ok()) return Error("program: " + program.error());
  auto memory = ParseHexBytes(memory_hex);
  if (!memory.ok()) return Error("memory: " + memory.error());
  auto r0 = RunProgram(*program, std::move(memory).value(), engine);
  if (!r0.ok()) return Error(r0.error());
  std::printf("%llx\n", static_cast<unsigned long long>(*r0));
  return 0;
}
