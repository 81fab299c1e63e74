#include <string>
#include <vector>

#include "app/static_tls.h"
#include "cli/command.h"

int main(int argc, char** argv) {
  perfkit::app::EnableReexecution(argv);
  return perfkit::cli::PerfkitMain(std::vector<std::string>(argv, argv + argc));
}
