#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/static_tls.h"

int main(int argc, char** argv) {
  perfkit::cli::ReserveStaticTlsForPeers(argv);
  return perfkit::cli::PerfkitMain(std::vector<std::string>(argv, argv + argc));
}
