#include <string>
#include <vector>

#include "app/glibc_tunables.h"
#include "cli/command.h"

int main(int argc, char** argv) {
  perfkit::app::EnableReexecution(argv);
  return perfkit::cli::PerfkitMain(std::vector<std::string>(argv, argv + argc));
}
