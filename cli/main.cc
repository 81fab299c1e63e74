#include <string>
#include <vector>

#include "cli/command.h"

int main(int argc, char** argv) {
  return perfkit::cli::PerfkitMain(std::vector<std::string>(argv, argv + argc));
}
